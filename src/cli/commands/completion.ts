import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { tendCommand } from '../tend-command.js';

/** A word the shell reads back as exactly `text`, whatever it holds. */
function quoteForShell(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

// Both scripts hand the words typed so far to `tend __complete`, which knows the commands,
// their options and (from a running daemon, never starting one) the program names. They run
// the tend that printed them, by absolute path, so that they work where `tend` is not on the
// PATH (`npx tend`, an alias); run `tend completion` again after moving Node or tend.
function bashScript(complete: string): string {
  return `# tend completion for bash: source <(tend completion bash)
_tend_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(${complete} -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _tend_complete tend
`;
}

function zshScript(complete: string): string {
  return `#compdef tend
# tend completion for zsh: source <(tend completion zsh)
_tend() {
  local -a candidates
  candidates=("\${(@f)$(${complete} -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates[@]} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -a candidates
  else
    _files
  fi
}
if (( $+functions[compdef] )); then compdef _tend tend; fi
`;
}

/** `tend completion bash|zsh`: prints the script to source. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const shell = args.positionals[0];
  const { node, bin } = tendCommand();
  const complete = `${quoteForShell(node)} ${quoteForShell(bin)} __complete`;
  if (shell === 'bash') ctx.stdout.write(bashScript(complete));
  else if (shell === 'zsh') ctx.stdout.write(zshScript(complete));
  else {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected bash or zsh, got ${JSON.stringify(shell)}`,
    );
  }
  return 0;
}

import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';

// Both scripts hand the words typed so far to `tend __complete`, which knows the commands,
// their options and (from a running daemon, never starting one) the program names.
const BASH_SCRIPT = `# tend completion for bash: source <(tend completion bash)
_tend_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(tend __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _tend_complete tend
`;

const ZSH_SCRIPT = `#compdef tend
# tend completion for zsh: source <(tend completion zsh)
_tend() {
  local -a candidates
  candidates=("\${(@f)$(tend __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates[@]} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -a candidates
  else
    _files
  fi
}
if (( $+functions[compdef] )); then compdef _tend tend; fi
`;

/** `tend completion bash|zsh`: prints the script to source. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const shell = args.positionals[0];
  if (shell === 'bash') ctx.stdout.write(BASH_SCRIPT);
  else if (shell === 'zsh') ctx.stdout.write(ZSH_SCRIPT);
  else {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected bash or zsh, got ${JSON.stringify(shell)}`,
    );
  }
  return 0;
}

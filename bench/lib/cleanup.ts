/** A stack of cleanup steps run in reverse order, also when the benchmark is interrupted. */
const steps: Array<{ label: string; run: () => Promise<void> | void }> = [];
let isHooked = false;

/** A registered cleanup step: run it now (once), or drop it when it is no longer needed. */
export interface CleanupHandle {
  runNow(): Promise<void>;
  dismiss(): void;
}

/** Registers a cleanup step that runs at the latest in runCleanups() or on SIGINT/SIGTERM. */
export function onCleanup(label: string, run: () => Promise<void> | void): CleanupHandle {
  hookSignals();
  const step = { label, run };
  steps.push(step);
  const dismiss = (): boolean => {
    const index = steps.indexOf(step);
    if (index === -1) return false;
    steps.splice(index, 1);
    return true;
  };
  return {
    runNow: async () => {
      if (dismiss()) await runStep(step);
    },
    dismiss: () => void dismiss(),
  };
}

/** Runs every registered cleanup step, newest first. */
export async function runCleanups(): Promise<void> {
  while (steps.length > 0) {
    const step = steps.pop();
    if (step) await runStep(step);
  }
}

async function runStep(step: { label: string; run: () => Promise<void> | void }): Promise<void> {
  try {
    await step.run();
  } catch (error) {
    console.error(`cleanup "${step.label}" failed:`, error);
  }
}

function hookSignals(): void {
  if (isHooked) return;
  isHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up…`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

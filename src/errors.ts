/**
 * Every error tend can report, in one registry: a stable code, the HTTP status
 * the API answers with, and the exit code the CLI ends with.
 * Exit codes: 0 success, 1 failure, 2 usage error (see docs/errors.md).
 */

/** The registry: code → HTTP status, CLI exit code, what it means. */
export const ERROR_TABLE = {
  TEND_ERR_USAGE: { status: 400, exitCode: 2, meaning: 'the command line was not understood' },
  TEND_ERR_USAGE_UNKNOWN_COMMAND: { status: 400, exitCode: 2, meaning: 'no such command' },
  TEND_ERR_USAGE_UNKNOWN_OPTION: { status: 400, exitCode: 2, meaning: 'no such option' },
  TEND_ERR_USAGE_MISSING_ARGUMENT: {
    status: 400,
    exitCode: 2,
    meaning: 'a required argument is missing',
  },
  TEND_ERR_USAGE_INVALID_ARGUMENT: {
    status: 400,
    exitCode: 2,
    meaning: 'an argument or option value is not valid',
  },
  TEND_ERR_API_INVALID_BODY: {
    status: 400,
    exitCode: 2,
    meaning: 'a request body, parameter or query failed validation',
  },
  TEND_ERR_API_MALFORMED_JSON: { status: 400, exitCode: 2, meaning: 'a request body is not JSON' },
  TEND_ERR_API_BODY_TOO_LARGE: {
    status: 413,
    exitCode: 2,
    meaning: 'a request body is over the size limit',
  },
  TEND_ERR_API_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    exitCode: 2,
    meaning: 'a request body is not application/json',
  },
  TEND_ERR_API_REQUEST_TIMEOUT: {
    status: 408,
    exitCode: 1,
    meaning: 'a request was not received whole within the request timeout',
  },
  TEND_ERR_API_HEADERS_TOO_LARGE: {
    status: 431,
    exitCode: 2,
    meaning: 'the request headers are over the size limit',
  },
  TEND_ERR_API_MALFORMED_REQUEST: {
    status: 400,
    exitCode: 2,
    meaning: 'bytes on the socket that are not an HTTP/1.1 request',
  },
  TEND_ERR_API_ROUTE_NOT_FOUND: { status: 404, exitCode: 1, meaning: 'no such API route' },
  TEND_ERR_API_UNAUTHORIZED: {
    status: 401,
    exitCode: 1,
    meaning: 'a TCP request without the right token',
  },
  TEND_ERR_EVENTS_INVALID_FILTER: {
    status: 400,
    exitCode: 2,
    meaning: 'an event stream filter (kind, program or since) is not valid',
  },
  TEND_ERR_EVENTS_SINCE_AHEAD: {
    status: 400,
    exitCode: 2,
    meaning: 'an event stream resume point is past the newest event',
  },
  TEND_ERR_CONFIG_INVALID: {
    status: 400,
    exitCode: 2,
    meaning:
      'a config file (tend.yaml) is not valid; the message names the file, line, column and field',
  },
  TEND_ERR_CONFIG_UNREADABLE: {
    status: 400,
    exitCode: 2,
    meaning: 'a config file cannot be read (no such file, a directory, no permission)',
  },
  TEND_ERR_PROGRAM_NOT_FOUND: { status: 404, exitCode: 1, meaning: 'no program by that name' },
  TEND_ERR_PROGRAM_EXISTS: {
    status: 409,
    exitCode: 1,
    meaning: 'a program by that name is already managed',
  },
  TEND_ERR_PROGRAM_UPDATE_REFUSED: {
    status: 409,
    exitCode: 1,
    meaning: 'the change cannot be made to a program in place (adding or removing its proxy)',
  },
  TEND_ERR_TASK_ID_INVALID: {
    status: 400,
    exitCode: 2,
    meaning: 'a task or lease id that is not letters, digits, `_` and `-` (at most 64)',
  },
  TEND_ERR_TASK_ID_TAKEN: {
    status: 409,
    exitCode: 1,
    meaning: 'a live task of the program already has the id asked for',
  },
  TEND_ERR_TASK_NOT_FOUND: {
    status: 404,
    exitCode: 1,
    meaning: 'no live task by that id: never allocated, or ended',
  },
  TEND_ERR_PROGRAM_NOT_TASKS: {
    status: 409,
    exitCode: 1,
    meaning: 'the program is not a task program (started without `--tasks`)',
  },
  TEND_ERR_PROGRAM_NO_PROXY: {
    status: 409,
    exitCode: 1,
    meaning:
      "the action is about a pool's proxy and the program has none (started without `--proxy-port`)",
  },
  TEND_ERR_TASK_NOT_READY: {
    status: 503,
    exitCode: 1,
    meaning: 'a task a client connected to did not become ready within its connect wait',
  },
  TEND_ERR_PROXY_BAD_HANDSHAKE: {
    status: 400,
    exitCode: 2,
    meaning:
      'a WebSocket upgrade on a task route without a valid key, version 13 or `Upgrade: websocket`',
  },
  TEND_ERR_LEASE_NOT_FOUND: {
    status: 404,
    exitCode: 1,
    meaning: 'no such lease: never granted, or already released, expired or ended by an exit',
  },
  TEND_ERR_LEASE_NOT_YOURS: {
    status: 409,
    exitCode: 1,
    meaning: 'the lease is held by another client',
  },
  TEND_ERR_LEASE_CONFLICT: {
    status: 500,
    exitCode: 1,
    meaning: 'an instance would have been leased twice (a bug in tend)',
  },
  TEND_ERR_ALLOCATION_TIMEOUT: {
    status: 503,
    exitCode: 1,
    meaning: 'no instance of the pool became free in time, and the pool is at its maximum',
  },
  TEND_ERR_ALLOCATION_CANCELLED: {
    status: 503,
    exitCode: 1,
    meaning: 'the program was stopped or removed while the request waited for an instance',
  },
  TEND_ERR_PROGRAM_INVALID_NAME: {
    status: 400,
    exitCode: 2,
    meaning: 'a program name is not valid',
  },
  TEND_ERR_INSTANCE_NOT_FOUND: {
    status: 404,
    exitCode: 1,
    meaning: 'the program has no such instance',
  },
  TEND_ERR_PROGRAM_NOT_RUNNING: {
    status: 409,
    exitCode: 1,
    meaning: 'the action needs a running process and there is none',
  },
  TEND_ERR_PROBE_COMMAND_NOT_FOUND: {
    status: 400,
    exitCode: 2,
    meaning: "an exec probe's command cannot be run",
  },
  TEND_ERR_NOTIFY_NO_CHANNEL: {
    status: 400,
    exitCode: 2,
    meaning: '`tend notify` was run outside an instance (no TEND_NOTIFY_FD)',
  },
  TEND_ERR_NOTIFY_BAD_CHANNEL: {
    status: 400,
    exitCode: 2,
    meaning: 'TEND_NOTIFY_FD does not name an open notify channel',
  },
  TEND_ERR_NOTIFY_NOT_READ: {
    status: 500,
    exitCode: 1,
    meaning: "no daemon reads the instance's notify channel any more",
  },
  TEND_ERR_SIGNAL_UNKNOWN: { status: 400, exitCode: 2, meaning: 'no such signal' },
  TEND_ERR_PROGRAM_START_FAILED: {
    status: 500,
    exitCode: 1,
    meaning: 'a process that tend start or restart started exited before it was ready',
  },
  TEND_ERR_SPAWN_FAILED: {
    status: 422,
    exitCode: 1,
    meaning: 'the program could not be started (no such file, no permission, bad cwd)',
  },
  TEND_ERR_SCALE_OUT_OF_BOUNDS: {
    status: 409,
    exitCode: 1,
    meaning: 'a scale request past the pool minimum or maximum',
  },
  TEND_ERR_DEPENDENCY_UNKNOWN: {
    status: 400,
    exitCode: 2,
    meaning: 'a program is to start after (`--after`) a program that is not managed',
  },
  TEND_ERR_DEPENDENCY_CYCLE: {
    status: 400,
    exitCode: 2,
    meaning: 'the dependencies (`--after`) would form a cycle',
  },
  TEND_ERR_DEPENDENCY_NEEDED: {
    status: 409,
    exitCode: 1,
    meaning: 'a program others depend on cannot be deleted without them (or --force)',
  },
  TEND_ERR_DEPENDENCY_NOT_READY: {
    status: 409,
    exitCode: 1,
    meaning:
      'a program tend start started waits for a dependency that cannot become ready by itself',
  },
  TEND_ERR_RELOAD_IN_PROGRESS: {
    status: 409,
    exitCode: 1,
    meaning: 'a reload of that program is already running',
  },
  TEND_ERR_RELOAD_NO_ROOM: {
    status: 409,
    exitCode: 1,
    meaning: 'a reload with --max-surge and --max-unavailable that allow no step',
  },
  TEND_ERR_RELOAD_FAILED: {
    status: 500,
    exitCode: 1,
    meaning: 'a replacement process of a reload exited or was not ready in time',
  },
  TEND_ERR_PORT_IN_USE: {
    status: 409,
    exitCode: 1,
    meaning: 'a port the program needs is held by another process',
  },
  TEND_ERR_DAEMON_UNREACHABLE: {
    status: 503,
    exitCode: 1,
    meaning: 'no daemon answers on the socket',
  },
  TEND_ERR_DAEMON_ALREADY_RUNNING: {
    status: 409,
    exitCode: 1,
    meaning: 'another daemon already serves this TEND_HOME',
  },
  TEND_ERR_DAEMON_START_FAILED: { status: 500, exitCode: 1, meaning: 'the daemon could not start' },
  TEND_ERR_DAEMON_LISTEN_FAILED: {
    status: 409,
    exitCode: 1,
    meaning: 'the TCP listener could not bind its address',
  },
  TEND_ERR_DAEMON_STOPPING: {
    status: 503,
    exitCode: 1,
    meaning: 'the daemon is shutting down and takes no new work',
  },
  TEND_ERR_STATE_CORRUPT: {
    status: 500,
    exitCode: 1,
    meaning: 'the state file could not be read; it was moved aside',
  },
  TEND_ERR_STARTUP_NO_SYSTEMD: {
    status: 503,
    exitCode: 1,
    meaning: 'systemd is not running here: the unit was printed, not installed',
  },
  TEND_ERR_STARTUP_FAILED: {
    status: 500,
    exitCode: 1,
    meaning: 'the start-at-boot unit could not be written, enabled or removed',
  },
  TEND_ERR_CONFIG_IMPORT_UNREADABLE: {
    status: 400,
    exitCode: 2,
    meaning: 'a PM2, Procfile or supervisord file cannot be read, or its format cannot be told',
  },
  TEND_ERR_CONFIG_IMPORT_SYNTAX: {
    status: 400,
    exitCode: 2,
    meaning: 'a PM2, Procfile, supervisord or .env file is malformed (JSON, YAML, INI or a line)',
  },
  TEND_ERR_CONFIG_IMPORT_INVALID: {
    status: 400,
    exitCode: 2,
    meaning:
      'an app or program in a PM2, Procfile or supervisord file has a value tend cannot take',
  },
  TEND_ERR_CONFIG_IMPORT_JS_FAILED: {
    status: 400,
    exitCode: 2,
    meaning: 'a JavaScript ecosystem file threw, ran past its time limit, or exported no object',
  },
  TEND_ERR_CONFIG_IMPORT_PM2_DUMP: {
    status: 400,
    exitCode: 2,
    meaning: 'a PM2 dump (dump.pm2) is not in the shape tend reads (another PM2 version?)',
  },
  TEND_ERR_INTERNAL: { status: 500, exitCode: 1, meaning: 'a bug in tend: please report it' },
} as const satisfies Record<string, { status: number; exitCode: 1 | 2; meaning: string }>;

/** A stable error code, `TEND_ERR_<AREA>_<WHAT>`. */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** The JSON body of every API error. */
export interface WireError {
  error: { code: ErrorCode; message: string };
}

/** Base of every error tend raises on purpose: a code from the registry and a message that says what was expected. */
export class TendError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** HTTP status for this error's code. */
  get status(): number {
    return ERROR_TABLE[this.code].status;
  }

  /** CLI exit code for this error's code. */
  get exitCode(): 1 | 2 {
    return ERROR_TABLE[this.code].exitCode;
  }

  /** The API's error body. */
  toWire(): WireError {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The command line or a request was not what was expected. */
export class UsageError extends TendError {}
/** Something named does not exist. */
export class NotFoundError extends TendError {}
/** The request conflicts with the current state. */
export class ConflictError extends TendError {}
/** A process could not be spawned; `cause` keeps the OS error. */
export class SpawnError extends TendError {
  /** The OS error code, such as ENOENT or EACCES. */
  readonly errno: string | undefined;
  constructor(message: string, errno: string | undefined, options?: { cause?: unknown }) {
    super('TEND_ERR_SPAWN_FAILED', message, options);
    this.errno = errno;
  }
}
/** The daemon could not be reached, started or used. */
export class DaemonError extends TendError {}

/** Whether a string is a code in the registry (for errors that come back over the wire). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_TABLE, value);
}

/** Rebuilds a TendError from an API error body; anything unexpected becomes TEND_ERR_INTERNAL. */
export function errorFromWire(body: unknown, fallbackMessage: string): TendError {
  const error = (body as Partial<WireError> | null)?.error;
  if (error && isErrorCode(error.code) && typeof error.message === 'string') {
    return new TendError(error.code, error.message);
  }
  return new TendError('TEND_ERR_INTERNAL', fallbackMessage);
}

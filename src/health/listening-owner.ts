import { readdir, readFile, readlink } from 'node:fs/promises';

/** The state column of /proc/net/tcp* for a socket in LISTEN. */
const TCP_STATE_LISTEN = '0A';
/** IPv4 and IPv6 sockets of this network namespace; tcp6 is absent when IPv6 is off. */
const PROC_NET_TCP_FILES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;
const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/** A process that holds a listening socket, as /proc names it. */
export interface PortHolder {
  pid: number;
  /** The process's name (`/proc/<pid>/comm`), such as `python3`. */
  command: string;
}

/** Inodes of the sockets listening on TCP `port`, on any address, IPv4 or IPv6 (/proc/net/tcp and tcp6). */
export async function findListeningInodes(port: number): Promise<Set<number>> {
  return (await listeningInodesByPort()).get(port) ?? new Set();
}

/**
 * Every listening TCP socket's inode by port, from one read of /proc/net/tcp and tcp6: a check of
 * many ports (a pool of 1,000) reads the tables once, not once per port (they list every socket
 * on the machine, and reading them a thousand times kept `tend start` busy for minutes).
 */
export async function listeningInodesByPort(): Promise<Map<number, Set<number>>> {
  const byPort = new Map<number, Set<number>>();
  for (const file of PROC_NET_TCP_FILES) {
    const table = await readFile(file, 'utf8').catch(() => '');
    // Columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    for (const line of table.split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state !== TCP_STATE_LISTEN || local === undefined || inode === undefined) continue;
      if (inode === '0') continue;
      const localPort = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      let inodes = byPort.get(localPort);
      if (inodes === undefined) {
        inodes = new Set();
        byPort.set(localPort, inodes);
      }
      inodes.add(Number(inode));
    }
  }
  return byPort;
}

/**
 * Inodes of the sockets a process has open, from the links in /proc/<pid>/fd: empty when it is
 * gone (a zombie has no descriptors), undefined when they cannot be read (another user's process).
 */
export async function socketInodesOf(pid: number): Promise<Set<number> | undefined> {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = await readdir(dir);
  } catch (error) {
    return isPermissionError(error) ? undefined : new Set();
  }
  const links = await Promise.all(fds.map((fd) => readlink(`${dir}/${fd}`).catch(() => '')));
  const inodes = new Set<number>();
  for (const link of links) {
    const match = SOCKET_LINK.exec(link);
    if (match?.[1]) inodes.add(Number(match[1]));
  }
  return inodes;
}

/** `pid` and every process descended from it (a server may fork the workers that listen). */
export async function processFamily(pid: number): Promise<number[]> {
  const family = [pid];
  for (let next = 0; next < family.length; next++) {
    const parent = family[next] as number;
    const children = await childrenOf(parent);
    if (children === undefined) return [pid, ...(await descendantsByParentScan(pid))];
    for (const child of children) if (!family.includes(child)) family.push(child);
  }
  return family;
}

/**
 * Whether `pid` or one of its descendants holds a socket listening on TCP `port`. Undefined when
 * that cannot be told: `pid`'s descriptors are not readable by this process.
 */
export async function ownsListeningSocket(pid: number, port: number): Promise<boolean | undefined> {
  const listening = await findListeningInodes(port);
  return listening.size === 0 ? false : familiesHoldAny([pid], listening);
}

/**
 * Whether one of `pids`, or a descendant of one, holds one of the sockets `inodes`. Undefined when
 * no descriptor of theirs is readable by this process (another user's processes).
 */
export async function familiesHoldAny(
  pids: number[],
  inodes: Set<number>,
): Promise<boolean | undefined> {
  let isReadable = false;
  for (const pid of pids) {
    for (const member of await processFamily(pid)) {
      const sockets = await socketInodesOf(member);
      if (sockets === undefined) continue;
      isReadable = true;
      for (const inode of inodes) if (sockets.has(inode)) return true;
    }
  }
  return isReadable ? false : undefined;
}

/**
 * The TCP ports that `pid` or a descendant of it listens on, in order; empty when none (or
 * unreadable). `byPort` is a read of the tables that several checks may share.
 */
export async function portsListenedBy(
  pid: number,
  byPort: Map<number, Set<number>>,
): Promise<number[]> {
  const held = new Set<number>();
  for (const member of await processFamily(pid)) {
    for (const inode of (await socketInodesOf(member)) ?? []) held.add(inode);
  }
  const ports: number[] = [];
  for (const [port, inodes] of byPort) {
    if ([...inodes].some((inode) => held.has(inode))) ports.push(port);
  }
  return ports.sort((a, b) => a - b);
}

/**
 * The process that holds one of `inodes` (sockets found by findListeningInodes), by a walk of
 * every /proc/<pid>/fd; undefined when none readable by this process does.
 */
export async function findSocketHolder(inodes: Set<number>): Promise<PortHolder | undefined> {
  for (const pid of await listPids()) {
    const sockets = await socketInodesOf(pid);
    if (sockets === undefined) continue;
    for (const inode of inodes) {
      if (sockets.has(inode)) return { pid, command: await commandOf(pid) };
    }
  }
  return undefined;
}

/** `port N is already in use by pid P (comm)`, or without the holder when the OS did not tell. */
export function describePortInUse(port: number, holder: PortHolder | undefined): string {
  const by = holder ? ` by pid ${holder.pid} (${holder.command})` : '';
  return `port ${port} is already in use${by}`;
}

/** Direct children of `pid` from /proc/<pid>/task/<tid>/children; undefined when the kernel lacks that file. */
async function childrenOf(pid: number): Promise<number[] | undefined> {
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return []; // gone meanwhile
  }
  const children: number[] = [];
  for (const task of tasks) {
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch (error) {
      // Without CONFIG_PROC_CHILDREN the file does not exist while the task does.
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' &&
        (await exists(`/proc/${pid}/task/${task}`))
      )
        return undefined;
      continue;
    }
    for (const word of text.split(' ')) if (word.trim() !== '') children.push(Number(word));
  }
  return children;
}

/** Descendants of `root` from the parent pid in every /proc/<pid>/stat: the slow way, for kernels without children files. */
export async function descendantsByParentScan(root: number): Promise<number[]> {
  const childrenByParent = new Map<number, number[]>();
  for (const pid of await listPids()) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    // The name may hold spaces and parentheses: the fields after the last `)` are state, ppid, …
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    childrenByParent.set(parent, [...(childrenByParent.get(parent) ?? []), pid]);
  }
  const descendants: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of childrenByParent.get(pid) ?? []) {
      descendants.push(child);
      queue.push(child);
    }
  }
  return descendants;
}

async function listPids(): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  return entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
}

async function commandOf(pid: number): Promise<string> {
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?');
  return comm.trim();
}

async function exists(path: string): Promise<boolean> {
  return readdir(path).then(
    () => true,
    () => false,
  );
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

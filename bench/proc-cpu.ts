/**
 * CPU time from Linux /proc, for the benchmarks that split a run's CPU between the processes
 * taking part (the apps, PostgreSQL's backends, Kafka, the load generator). Elsewhere every
 * reading is empty and the callers print "n/a".
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in ticks of 1/100 s on Linux. */
export const TICKS_PER_SECOND = 100;

export interface ProcessTicks {
  /** The executable's name (/proc/<pid>/comm): postgres, java, node… */
  comm: string;
  /** User + system CPU time so far, in ticks. */
  ticks: number;
  /**
   * Read and write system calls so far (/proc/<pid>/io; 0 where it cannot be read). A socket
   * write is a message sent: counted per unit of work, they say how many round trips it took,
   * whatever the machine's speed. Only the read/write family is counted (Node's and Java's
   * sockets), not send/recv (PostgreSQL's backends).
   */
  syscalls: { reads: number; writes: number };
  /**
   * Times its threads went to sleep to wait (voluntary context switches, summed over
   * /proc/<pid>/task/*), so wake-ups: on a paravirtualised guest each costs more than most
   * statements do (RESULTS.md, ninth session), and unlike syscalls it counts PostgreSQL's too.
   */
  wakeups: number;
}

/** The group a process not named by the caller counts in, by its executable: PostgreSQL, Kafka (the only JVM here), or other. */
export function groupByComm(comm: string): 'postgres' | 'kafka (java)' | 'other processes' {
  return comm === 'postgres' ? 'postgres' : comm === 'java' ? 'kafka (java)' : 'other processes';
}

/** One process's CPU time so far (0 once it has gone). */
export function processTicks(pid: number): number {
  return readProcess(pid)?.ticks ?? 0;
}

/** Every process's CPU time so far, by pid. */
export function allProcessTicks(): Map<number, ProcessTicks> {
  const out = new Map<number, ProcessTicks>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out; // not Linux
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const read = readProcess(Number(entry));
    if (read) out.set(Number(entry), read);
  }
  return out;
}

/** The whole machine's CPU time so far, all cores, in ticks (/proc/stat); zeros elsewhere. */
export function machineTicks(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - fields[4], total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function readProcess(pid: number): ProcessTicks | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]), syscalls: readSyscalls(pid), wakeups: readWakeups(pid) }; // utime + stime
  } catch {
    return undefined; // gone meanwhile
  }
}

function readWakeups(pid: number): number {
  let sum = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      sum += Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
    }
  } catch {
    // gone meanwhile (a thread or the process): what was read so far
  }
  return sum;
}

function readSyscalls(pid: number): ProcessTicks['syscalls'] {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
    return { reads: field('syscr'), writes: field('syscw') };
  } catch {
    return { reads: 0, writes: 0 }; // another user's process, or gone
  }
}

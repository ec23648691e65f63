/** QEMU's RunState values this server can be in. */
export type RunState = 'prelaunch' | 'running' | 'paused' | 'save-vm' | 'shutdown';

/**
 * The emulated machine's run state. A dump file has no CPUs to stop, but clients expect QEMU's
 * state machine and its STOP/RESUME events, so the server keeps one.
 */
export class VmState {
  constructor(
    private state: RunState,
    private readonly emit: (event: 'STOP' | 'RESUME') => void,
  ) {}

  get status(): RunState {
    return this.state;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** vm_stop(state): STOP only when leaving 'running'. */
  stop(to: 'paused' | 'save-vm'): void {
    if (this.state === 'running') {
      this.state = to;
      this.emit('STOP');
    } else if (this.state !== 'shutdown') {
      this.state = this.state === 'save-vm' && to === 'paused' ? 'paused' : this.state;
    }
  }

  /** vm_start(): RESUME only when it was not running. */
  start(): void {
    if (this.state === 'running' || this.state === 'shutdown') return;
    this.state = 'running';
    this.emit('RESUME');
  }

  shutdown(): void {
    this.state = 'shutdown';
  }
}

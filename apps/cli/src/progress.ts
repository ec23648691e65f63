/** A one-line progress bar on stderr, only when stderr is a terminal. */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled: boolean = Boolean(process.stderr.isTTY),
  ) {}

  update = (completed: number, total: number): void => {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && completed < total) return;
    this.last = now;
    const width = 30;
    const fraction = total > 0 ? Math.min(1, completed / total) : 1;
    const filled = Math.round(fraction * width);
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = completed / seconds / 1e6;
    const line =
      `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
      `${mib(completed)}/${mib(total)} MiB ${rate.toFixed(0)} MB/s`;
    this.stream.write(`\r${line}\x1b[K`);
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

function mib(bytes: number): string {
  return (bytes / (1 << 20)).toFixed(1);
}

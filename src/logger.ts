/**
 * How everything below main.ts/cli.ts talks to the person running it. Only main.ts (GitHub
 * Actions: ::group::, ::add-mask::) and cli.ts (plain terminal) know which world they are in.
 */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Runs fn inside a collapsible group named for a stage. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Registers a secret so it is masked in every later line. */
  mask(secret: string): void
}

/** A logger that records lines in memory: for tests, and for layers called without one. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = []
  private readonly secrets: string[] = []

  info(message: string): void {
    this.lines.push(this.redact(message))
  }
  warning(message: string): void {
    this.lines.push(`warning: ${this.redact(message)}`)
  }
  debug(message: string): void {
    this.lines.push(`debug: ${this.redact(message)}`)
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push(`[${name}]`)
    return fn()
  }
  mask(secret: string): void {
    if (secret) this.secrets.push(secret)
  }
  private redact(message: string): string {
    return this.secrets.reduce((m, s) => m.split(s).join('***'), message)
  }
}

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

/**
 * Holds the lines logged to it until release(), then logs them into its target, in order, and
 * passes every later line straight through. Secrets are masked in the target at once, as they must
 * be before anything can print them.
 */
export class HeldLogger implements Logger {
  private held: ((logger: Logger) => void)[] | undefined = []

  constructor(private readonly target: Logger) {}

  info(message: string): void {
    this.log(logger => logger.info(message))
  }
  warning(message: string): void {
    this.log(logger => logger.warning(message))
  }
  debug(message: string): void {
    this.log(logger => logger.debug(message))
  }
  /** While held, a group's lines are held in order, without the group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.held ? fn() : this.target.group(name, fn)
  }
  mask(secret: string): void {
    this.target.mask(secret)
  }
  release(): void {
    const held = this.held ?? []
    this.held = undefined
    for (const line of held) line(this.target)
  }
  private log(line: (logger: Logger) => void): void {
    if (this.held) this.held.push(line)
    else line(this.target)
  }
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

/**
 * The commands by name, apart from settings.ts so that what only names them (the CLI's --help and
 * usage errors, the post step) does not load the settings' parsers.
 */
export const COMMANDS = ['deploy', 'promote', 'rollback', 'diff', 'cleanup'] as const

export type Command = (typeof COMMANDS)[number]
/**
 * The post step's command (post.ts): cleans up after a main step that was killed outright, from
 * what that step recorded as action state. Not an input value people choose.
 */
export const ABANDON = 'abandon'
export type CommandName = Command | typeof ABANDON

/**
 * A runner masks a secret line by line: `::add-mask::` takes one line, and a value that spans lines
 * would print its later lines in the log instead of masking them. So a multi-line secret (a PEM key,
 * a JSON key file) is masked as its lines, each trimmed; PEM armour and lines too short to be
 * secret (`{`, `}`) stay readable. A one-line secret is masked whole, whatever its length.
 */
export function secretLines(secret: string): string[] {
  if (!/[\r\n]/.test(secret.trim())) return secret.trim() ? [secret.trim()] : []
  return secret
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line.length >= 4 && !/^-----(BEGIN|END) /.test(line))
}

/** The text of dist/licenses.txt for the tree installed under root (default: the working folder). */
export function licensesText(root?: string): string

/** Schema names are interpolated into SQL (identifiers cannot be bind parameters), so they are checked first. */
export function sqlIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`"${name}" is not a valid lower-case SQL identifier`);
  return name;
}

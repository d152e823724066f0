/** The console's path to an item: the 档号 carries · and - and may carry others, so it is encoded. */
export const itemPath = (archiveCode: string) => `/items/${encodeURIComponent(archiveCode)}`;

// Placeholder while the campaign engine is built (issue 5); replaced before the issue is closed.
export const handler = async (): Promise<never> => {
  throw new Error('start-due-campaigns: not built yet');
};

// The test-only stamp kind's activities: an in-memory target per environment holding its stamps.
export function createStampActivities() {
  const stamped = new Map<string, string[]>();
  const activities = {
    async stamp({ environment, label }: { environment: string; label: string }): Promise<void> {
      stamped.set(environment, [...(stamped.get(environment) ?? []), label]);
    },
    async unstamp({ environment, label }: { environment: string; label: string }): Promise<void> {
      stamped.set(
        environment,
        (stamped.get(environment) ?? []).filter((stamp) => stamp !== label),
      );
    },
  };
  return { activities, stamped };
}
export type StampActivities = ReturnType<typeof createStampActivities>['activities'];

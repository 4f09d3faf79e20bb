// Every PromQL query of a Grafana dashboard, with Grafana's variables replaced by what Grafana
// would put there, so Prometheus itself can say whether each one parses and evaluates.

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  panels?: Panel[];
  templating?: { list?: { name: string }[] };
}

/** Grafana's built-in interval variables, as a 1 h dashboard range with 15 s scrapes gives them. */
const BUILT_INS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
};

export function dashboardQueries(dashboard: Dashboard): { panel: string; expr: string }[] {
  // The dashboard's own variables select label values with =~: every value matches `.*`.
  const variables: Record<string, string> = { ...BUILT_INS };
  for (const variable of dashboard.templating?.list ?? []) variables[variable.name] = '.*';
  const substitute = (expr: string) =>
    expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced: string, bare: string) => {
      const value = variables[braced ?? bare];
      if (value === undefined) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
      return value;
    });
  const panels = (list: Panel[] = []): Panel[] => list.flatMap((panel) => [panel, ...panels(panel.panels)]);
  return panels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.expr ? [{ panel: panel.title ?? '(untitled)', expr: substitute(target.expr) }] : [],
    ),
  );
}

import { loadSettings } from '@causeway/config';
import { workspaceRoot } from '@causeway/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { registry, scrapeGaugeNames } from './metrics';

/**
 * deploy/observability (the Grafana dashboard and the Prometheus alert rules) may only query
 * metrics the apps expose: a renamed metric would otherwise leave a silent panel or an alert
 * that can never fire.
 */
describe('deploy/observability', () => {
  const dir = join(workspaceRoot(), 'deploy', 'observability');
  const exposed = new Set([...registry.getMetricsAsArray().map((m) => m.name), ...Object.values(scrapeGaugeNames)]);
  const referenced = (expr: string) => [...expr.matchAll(/\b(causeway_[a-z_]+|http_[a-z_]+)\b/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''));

  it('alert rules are valid YAML, each with an expression, severity and summary, over exposed metrics only', () => {
    const rules = (parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }> }> }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['CausewayOutboxStalled', 'CausewayConsumerLagHigh', 'CausewayConsumerCrashed', 'CausewayDeadLetters', 'CausewayHttpErrorRate']));
    for (const rule of rules) {
      expect(rule).toMatchObject({ expr: expect.any(String), labels: { severity: expect.stringMatching(/^(warning|critical)$/) }, annotations: { summary: expect.any(String) } });
      expect({ alert: rule.alert, missing: referenced(rule.expr).filter((name) => !exposed.has(name)) }).toEqual({ alert: rule.alert, missing: [] });
    }
  });

  it('every dashboard panel queries exposed metrics only', () => {
    const dashboard = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      const names = panel.targets.flatMap((t) => referenced(t.expr));
      expect(names.length).toBeGreaterThan(0);
      expect({ panel: panel.title, missing: names.filter((name) => !exposed.has(name)) }).toEqual({ panel: panel.title, missing: [] });
    }
  });

  it('Prometheus scrapes every app on the port config/causeway.tsk gives it, with the alert rules loaded', () => {
    const config = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const { http } = loadSettings({ file: join(workspaceRoot(), 'config', 'causeway.tsk'), env: {} });
    const ports: Record<string, number> = {
      'api-gateway': http.gateway_port,
      'user-service': http.user_service_port,
      'order-service': http.order_service_port,
      'payment-service': http.payment_service_port,
      'notification-service': http.notification_service_port,
    };
    expect(Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, Number(c.static_configs[0].targets[0].split(':')[1])]))).toEqual(ports);
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });
});

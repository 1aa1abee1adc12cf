import { loadSettings, type Settings } from '@causeway/config';
import { workspaceRoot } from '@causeway/testing';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// deploy/k8s checked without kubectl or a cluster (neither is on every machine that runs the
// tests): the manifests are read as kustomize would read them, and held against what the apps
// actually do: the ports and variables of config/causeway.tsk, the image's user, the app list.
const root = workspaceRoot();
const k8s = join(root, 'deploy', 'k8s');
const settingsFile = join(root, 'config', 'causeway.tsk');
const overlays = readdirSync(join(k8s, 'overlays'));

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML; each test says what it expects of them */
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };
type Patch = { path?: string; patch?: string; target?: { kind?: string; name?: string; labelSelector?: string } };
type Kustomization = {
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string> }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: { name: string; behavior?: string; literals?: string[] }[];
  patches?: Patch[];
};

// The deployables, found as scripts/start.mjs finds them: projects under apps/ tagged type:app.
const apps = readdirSync(join(root, 'apps')).filter((name) => {
  const project = join(root, 'apps', name, 'project.json');
  return existsSync(project) && (JSON.parse(readFileSync(project, 'utf8')).tags ?? []).includes('type:app');
});
const gateway = 'api-gateway';
const services = apps.filter((app) => app !== gateway);
const listenPort = (app: string, settings: Settings) =>
  app === gateway ? settings.http.gateway_port : (settings.http as unknown as Record<string, number>)[`${app.replace(/-/g, '_')}_port`];

const kustomization = (dir: string): Kustomization => parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
const manifestsIn = (file: string): Manifest[] => parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJS()).filter(Boolean);

/** The resources a kustomization lists, its own files and its bases' (recursively), with its `labels` applied. */
function resourcesOf(dir: string): Manifest[] {
  const k = kustomization(dir);
  const manifests = (k.resources ?? []).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? resourcesOf(path) : manifestsIn(path);
  });
  for (const { pairs } of k.labels ?? []) for (const m of manifests) m.metadata.labels = { ...m.metadata.labels, ...pairs };
  return manifests;
}

const base = resourcesOf(join(k8s, 'base'));
const baseKustomization = kustomization(join(k8s, 'base'));
function of(kind: string, name: string): Manifest {
  const found = base.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`deploy/k8s/base has no ${kind} ${name}`);
  return found;
}
const deployment = (app: string) => of('Deployment', app);
const container = (app: string) => deployment(app).spec.template.spec.containers[0];

/** Does a patch's target select this resource? (kind, name, and `key=value,…` label selectors) */
function selects(target: NonNullable<Patch['target']>, m: Manifest): boolean {
  if (target.kind && target.kind !== m.kind) return false;
  if (target.name && target.name !== m.metadata.name) return false;
  const wanted = (target.labelSelector ?? '').split(',').filter(Boolean).map((pair) => pair.split('='));
  return wanted.every(([key, value]) => m.metadata.labels?.[key] === value);
}

/** The manifests a patch applies to: its target's, or (a patch file without one) the object it names. */
function patched(dir: string, patch: Patch, resources: Manifest[]): Manifest[] {
  const { target } = patch;
  if (target) return resources.filter((m) => selects(target, m));
  const body: Manifest = patch.path ? parse(readFileSync(join(dir, patch.path), 'utf8')) : parse(patch.patch ?? '');
  return resources.filter((m) => m.kind === body.kind && m.metadata.name === body.metadata.name);
}

/** JSON 6902 operations of a patch (a list), or none for a strategic-merge patch (an object). */
function operations(dir: string, patch: Patch): { op: string; path: string; value?: any }[] {
  const body = patch.path ? parse(readFileSync(join(dir, patch.path), 'utf8')) : parse(patch.patch ?? '');
  return Array.isArray(body) ? body : [];
}
const pointer = (doc: any, path: string) => path.split('/').slice(1).reduce((node, key) => (node === undefined ? undefined : node[key.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);

/**
 * Environment variables config/causeway.tsk reads: its @env names, CAUSEWAY_CONFIG, and
 * CAUSEWAY__<SECTION>__<KEY> for a key the settings have. Anything else in a manifest is read by nothing.
 */
const tsk = readFileSync(settingsFile, 'utf8');
const envNames = new Set(['CAUSEWAY_CONFIG', ...[...tsk.matchAll(/@env\('([A-Z0-9_]+)'/g)].map((m) => m[1])]);
const defaults = loadSettings({ file: settingsFile, env: {} }) as unknown as Record<string, Record<string, unknown>>;
function isReadByConfig(name: string): boolean {
  const override = /^CAUSEWAY__([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
  if (override) return override[2].toLowerCase() in (defaults[override[1].toLowerCase()] ?? {});
  return envNames.has(name);
}

const literals = (generator?: { literals?: string[] }) => Object.fromEntries((generator?.literals ?? []).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const settingsMap = literals(baseKustomization.configMapGenerator?.find((g) => g.name === 'causeway-settings'));
const exampleSecret = of('Secret', 'causeway-secrets');

/** The environment an app's container gets in the base (the example Secret's values standing in for the real ones). */
function environmentOf(app: string): Record<string, string> {
  const c = container(app);
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    expect(from).toEqual({ configMapRef: { name: 'causeway-settings' } });
    Object.assign(env, settingsMap);
  }
  for (const e of c.env ?? []) {
    env[e.name] = e.valueFrom?.secretKeyRef ? exampleSecret.stringData[e.valueFrom.secretKeyRef.key] : String(e.value ?? '');
  }
  return env;
}
const settingsOf = (app: string) => loadSettings({ file: settingsFile, env: environmentOf(app) });

/** Kubernetes quantities as numbers: cores for cpu ("500m", "2"), bytes for memory ("384Mi", "1Gi"). */
function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(String(value));
  if (!match) throw new Error(`not a quantity: ${value}`);
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  return Number(match[1]) * (match[2] ? factor[match[2]] : 1);
}
function expectSaneResources(resources: any, where: string): void {
  for (const kind of ['cpu', 'memory']) {
    const request = resources?.requests?.[kind];
    const limit = resources?.limits?.[kind];
    expect({ where, kind, request: request !== undefined, limit: limit !== undefined }).toEqual({ where, kind, request: true, limit: true });
    expect(quantity(request)).toBeLessThanOrEqual(quantity(limit));
  }
}

describe('deploy/k8s kustomizations', () => {
  const dirs = ['base', ...overlays.map((o) => join('overlays', o))];

  it('has the dev and prod overlays', () => {
    expect(overlays.sort()).toEqual(['dev', 'prod']);
  });

  it.each(dirs)('%s: lists only resources and patch files that exist', (dir) => {
    const k = kustomization(join(k8s, dir));
    for (const entry of k.resources ?? []) {
      const path = join(k8s, dir, entry);
      expect({ entry, exists: existsSync(path) && (statSync(path).isFile() || existsSync(join(path, 'kustomization.yaml'))) }).toEqual({ entry, exists: true });
    }
    for (const patch of k.patches ?? []) if (patch.path) expect(existsSync(join(k8s, dir, patch.path))).toBe(true);
  });

  it('lists every manifest file of the base (none left out by mistake)', () => {
    const listed = (baseKustomization.resources ?? []).sort();
    const files = readdirSync(join(k8s, 'base')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect(listed).toEqual(files);
  });

  it.each(overlays)('overlays/%s: builds on the base and aims every patch at resources of it', (overlay) => {
    const dir = join(k8s, 'overlays', overlay);
    const k = kustomization(dir);
    expect(k.resources?.map((r) => relative(k8s, join(dir, r)))).toContain('base');
    const resources = resourcesOf(dir);
    expect(k.patches?.length).toBeGreaterThan(0);
    for (const patch of k.patches ?? []) {
      const targets = patched(dir, patch, resources);
      expect({ patch: patch.path ?? patch.target, targets: targets.length > 0 }).toEqual({ patch: patch.path ?? patch.target, targets: true });
      // `replace` fails on a path the resource does not have (a wrong container index, a typo).
      for (const op of operations(dir, patch).filter((o) => o.op === 'replace')) {
        for (const m of targets) expect({ resource: m.metadata.name, path: op.path, present: pointer(m, op.path) !== undefined }).toEqual({ resource: m.metadata.name, path: op.path, present: true });
      }
    }
  });

  it.each(overlays)('overlays/%s: retags only images the base runs, and merges only settings the base generates', (overlay) => {
    const k = kustomization(join(k8s, 'overlays', overlay));
    const images = new Set(apps.map((app) => container(app).image));
    expect((k.images ?? []).map((i) => i.name).sort()).toEqual([...images].sort());
    for (const image of k.images ?? []) expect(image.newTag).toBeTruthy();
    for (const generator of k.configMapGenerator ?? []) {
      expect(generator.behavior).toBe('merge');
      expect(baseKustomization.configMapGenerator?.map((g) => g.name)).toContain(generator.name);
    }
  });

  it('rejects a patch that selects nothing (the target check can fail)', () => {
    expect(patched(k8s, { target: { kind: 'HorizontalPodAutoscaler', labelSelector: 'app.kubernetes.io/component=nothing' } }, base)).toEqual([]);
    expect(patched(k8s, { patch: 'kind: Deployment\nmetadata:\n  name: no-such-app' }, base)).toEqual([]);
    expect(patched(k8s, { target: { kind: 'Deployment', labelSelector: 'app.kubernetes.io/component=service' } }, base).map((m) => m.metadata.name).sort()).toEqual(services.sort());
  });

  it('puts everything in the namespace it creates', () => {
    expect(of('Namespace', baseKustomization.namespace ?? 'causeway').metadata.name).toBe(baseKustomization.namespace);
  });
});

describe('deploy/k8s apps', () => {
  it('deploys exactly the deployable apps, the ones docker-compose.yml builds', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
    const composed = Object.entries(compose.services as Record<string, { build?: { args?: { APP?: string } } }>).flatMap(([, s]) => (s.build?.args?.APP ? [s.build.args.APP] : []));
    const deployed = base.filter((m) => m.kind === 'Deployment').map((m) => m.metadata.name);
    expect(apps.length).toBeGreaterThanOrEqual(5);
    expect(deployed.sort()).toEqual([...apps].sort());
    expect(composed.sort()).toEqual([...apps].sort());
  });

  it.each(apps)('%s: Deployment, Service, autoscaler and network policy that all select its pods', (app) => {
    const d = deployment(app);
    const podLabels = d.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    expect(matches(d.spec.selector.matchLabels)).toBe(true);
    expect(d.spec.replicas).toBeUndefined(); // the autoscaler owns it

    const service = of('Service', app);
    expect(matches(service.spec.selector)).toBe(true);

    const hpa = of('HorizontalPodAutoscaler', app);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    expect(hpa.spec.metrics.length).toBeGreaterThan(0);

    const policy = of('NetworkPolicy', app);
    expect(matches(policy.spec.podSelector.matchLabels)).toBe(true);
    expect(policy.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
  });

  it.each(apps)('%s: listens, is probed and is reached on the port config/causeway.tsk gives it', (app) => {
    const settings = settingsOf(app);
    expect(settings.http.host).toBe('0.0.0.0'); // 127.0.0.1, the file's default, answers no probe
    const port = listenPort(app, settings);
    const c = container(app);
    expect(c.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
    const probe = (p: any) => ({ path: p?.httpGet?.path, port: p?.httpGet?.port === 'http' ? port : p?.httpGet?.port });
    expect(probe(c.livenessProbe)).toEqual({ path: '/health/live', port });
    expect(probe(c.readinessProbe)).toEqual({ path: '/health/ready', port });
    expect(probe(c.startupProbe)).toEqual({ path: '/health/live', port });
    expect(deployment(app).spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
    const service = of('Service', app);
    expect(service.spec.ports.map((p: any) => (p.targetPort === 'http' ? port : p.targetPort))).toEqual([port]);
  });

  it('points the gateway at each service by its Service name and port', () => {
    const settings = settingsOf(gateway);
    const urls = Object.entries(settings.services).map(([key, url]) => [key.replace(/_url$/, '').replace(/_/g, '-'), new URL(url)] as const);
    expect(urls.map(([app]) => app).sort()).toEqual(services.sort());
    for (const [app, url] of urls) {
      expect(url.hostname).toBe(app);
      expect(of('Service', app).spec.ports.map((p: any) => String(p.port))).toContain(url.port);
    }
  });

  it('gives each container only variables that config/causeway.tsk reads, and only Secret keys that exist', () => {
    const named = new Set<string>(Object.keys(settingsMap));
    for (const overlay of overlays) {
      for (const g of kustomization(join(k8s, 'overlays', overlay)).configMapGenerator ?? []) Object.keys(literals(g)).forEach((n) => named.add(n));
    }
    for (const app of apps) {
      for (const e of container(app).env ?? []) {
        named.add(e.name);
        if (e.valueFrom?.secretKeyRef) {
          expect(e.valueFrom.secretKeyRef.name).toBe('causeway-secrets');
          expect(Object.keys(exampleSecret.stringData)).toContain(e.valueFrom.secretKeyRef.key);
        }
      }
    }
    Object.keys(exampleSecret.stringData).forEach((n) => named.add(n));
    expect([...named].filter((n) => !isReadByConfig(n))).toEqual([]);
    expect(isReadByConfig('CAUSEWAY__PROCESSING__NO_SUCH_KEY')).toBe(false);
    expect(isReadByConfig('DATABASE_URI')).toBe(false);
  });

  it('gives the services the database, the cache and (optionally) Kafka credentials, and the admin token only to the gateway', () => {
    const secretKeys = (app: string, optional: boolean) =>
      (container(app).env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef && (e.valueFrom.secretKeyRef.optional === true) === optional).map((e: any) => e.name).sort();
    expect([secretKeys(gateway, false), secretKeys(gateway, true)]).toEqual([['ADMIN_TOKEN'], []]);
    for (const app of services) {
      expect(secretKeys(app, false)).toEqual(['DATABASE_URL', 'REDIS_URL']);
      // Only with a SASL mechanism set: a Secret without them must not keep the pods from starting.
      expect(secretKeys(app, true)).toEqual(['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
    }
  });

  it.each(apps)('%s: runs as the image\'s non-root user on a read-only root filesystem, with requests and limits', (app) => {
    const user = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
    const pod = deployment(app).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(user?.[1]), runAsGroup: Number(user?.[2]) });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = container(app);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expectSaneResources(c.resources, app);
  });

  it.each(overlays)('overlays/%s: sets resources with limits no lower than requests, and replica bounds in order', (overlay) => {
    const dir = join(k8s, 'overlays', overlay);
    const resources = resourcesOf(dir);
    for (const patch of kustomization(dir).patches ?? []) {
      for (const m of patched(dir, patch, resources)) {
        const doc = structuredClone(m);
        for (const op of operations(dir, patch).filter((o) => o.op === 'replace')) {
          const at = op.path.lastIndexOf('/');
          pointer(doc, op.path.slice(0, at))[op.path.slice(at + 1)] = op.value;
        }
        if (m.kind === 'Deployment') expectSaneResources(doc.spec.template.spec.containers[0].resources, `${overlay} ${m.metadata.name}`);
        if (m.kind === 'HorizontalPodAutoscaler') expect(doc.spec.minReplicas).toBeLessThanOrEqual(doc.spec.maxReplicas);
      }
    }
  });
});

describe('deploy/k8s network policies', () => {
  const policy = (name: string) => of('NetworkPolicy', name);
  const dnsRule = (rule: any) => rule.to?.some((peer: any) => peer.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns') && rule.ports.every((p: any) => p.port === 53);

  it('denies everything the others do not allow', () => {
    expect(policy('default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('lets only the gateway take traffic from outside the namespace', () => {
    const open = (name: string) => policy(name).spec.ingress.some((rule: any) => rule.from === undefined);
    expect(open(gateway)).toBe(true);
    for (const app of services) expect(open(app)).toBe(false);
  });

  it.each(services)('%s: takes traffic only from the gateway and the metrics scraper, on its http port', (app) => {
    const [rule, ...others] = policy(app).spec.ingress;
    expect(others).toEqual([]);
    expect(rule.from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': gateway } } },
      { namespaceSelector: { matchLabels: { 'causeway.io/metrics-scraper': 'true' } } },
    ]);
    expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });

  it.each(services)('%s: sends only to PostgreSQL, Kafka, Redis (on the ports its settings use) and DNS', (app) => {
    const egress = policy(app).spec.egress;
    expect(egress.filter((rule: any) => !dnsRule(rule))).toHaveLength(1);
    const ports = egress.find((rule: any) => !dnsRule(rule)).ports.map((p: any) => p.port).sort();
    const used = (env: Record<string, string>) => {
      const s = loadSettings({ file: settingsFile, env });
      return [new URL(s.event_store.database_url).port, new URL(s.redis.url).port, ...s.kafka.brokers.map((b) => b.split(':')[1])].map(Number);
    };
    for (const overlay of overlays) {
      const merged = { ...environmentOf(app), ...Object.assign({}, ...(kustomization(join(k8s, 'overlays', overlay)).configMapGenerator ?? []).map(literals)) };
      for (const port of used(merged)) expect(ports).toContain(port);
    }
    expect(ports).toEqual([5432, 6379, 9092]);
  });

  it('lets the gateway send only to the services and DNS', () => {
    const egress = policy(gateway).spec.egress;
    const [toServices, ...rest] = egress.filter((rule: any) => !dnsRule(rule));
    expect(rest).toEqual([]);
    expect(toServices.to).toHaveLength(1);
    const [expression, ...more] = toServices.to[0].podSelector.matchExpressions;
    expect(more).toEqual([]);
    expect({ ...expression, values: [...expression.values].sort() }).toEqual({ key: 'app.kubernetes.io/name', operator: 'In', values: [...services].sort() });
    expect(toServices.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });
});

describe('deploy/k8s secrets', () => {
  it('marks the base Secret as an example, and prod removes it', () => {
    expect(exampleSecret.metadata.annotations?.['causeway.io/example']).toBeDefined();
    for (const value of Object.values<string>(exampleSecret.stringData)) expect(value).toContain('CHANGE-ME');
    const prod = join(k8s, 'overlays', 'prod');
    const deletes = (kustomization(prod).patches ?? []).filter((p) => p.path && parse(readFileSync(join(prod, p.path), 'utf8'))['$patch'] === 'delete');
    expect(deletes.flatMap((p) => patched(prod, p, resourcesOf(prod)))).toEqual([exampleSecret]);
  });

  it('names in README.md every key the Secret must hold', () => {
    const readme = readFileSync(join(k8s, 'README.md'), 'utf8');
    for (const key of Object.keys(exampleSecret.stringData)) expect(readme).toContain(key);
  });
});

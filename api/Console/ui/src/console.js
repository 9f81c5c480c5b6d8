// The console: every figure comes from the cluster's public HTTP API, called with the key the
// user signed in with. The key is kept in sessionStorage (this tab only) and sent as a bearer
// header, never in a cookie, so no other site can make requests with it.
'use strict';

(() => {
  const store = window.sessionStorage;
  const $ = (id) => document.getElementById(id);
  const state = { key: store.getItem('console.key'), role: store.getItem('console.role'), tenant: store.getItem('console.tenant'), chart: null, cursors: [] };

  // ---- helpers -----------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(body && body.error ? body.error.message : `HTTP ${status}`);
      this.status = status;
      this.code = body && body.error ? body.error.code : null;
    }
  }

  async function api(path, options = {}) {
    const headers = { Authorization: `Bearer ${options.key || state.key}` };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method: options.method || 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'omit',
    });
    if (options.raw && response.ok) return response;
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  const isAdmin = () => state.role === 'admin';
  const enc = encodeURIComponent;
  // Tenant routes answer for the caller's own tenant; admin routes take ?tenant=.
  function scoped(tenantPath, adminPath, params) {
    const query = new URLSearchParams(params || {});
    if (isAdmin()) query.set('tenant', state.tenant || '');
    const text = query.toString();
    return (isAdmin() ? adminPath : tenantPath) + (text ? `?${text}` : '');
  }

  function showMessage(error) {
    $('message').textContent = error ? (error.message || String(error)) : '';
  }

  const number = new Intl.NumberFormat('en-US');
  const money = (v) => `$${Number(v).toFixed(6).replace(/0+$/, '').replace(/\.$/, '.00')}`;

  function table(node, columns, rows) {
    node.replaceChildren(
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', text: c.title })))),
      el('tbody', {}, rows.length === 0
        ? el('tr', {}, el('td', { colspan: columns.length, text: 'Nothing yet.' }))
        : rows.map((row) => el('tr', {}, columns.map((c) => el('td', { 'data-col': c.name || c.title }, c.value(row)))))));
  }

  function definitions(node, pairs) {
    node.replaceChildren(...pairs.map(([term, value, id]) => el('div', {}, el('dt', { text: term }), el('dd', { id, text: value }))));
  }

  // ---- sign-in -----------------------------------------------------------------------------
  async function signIn(key) {
    try {
      const tenants = await api('/admin/tenants', { key });
      return { role: 'admin', tenant: tenants.data.length ? tenants.data[0].id : 'default' };
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 403 && error.status !== 401)) throw error;
    }
    const usage = await api('/v1/usage', { key });
    return { role: 'tenant', tenant: usage.tenant };
  }

  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('sign-in-error').textContent = '';
    const key = $('api-key').value.trim();
    try {
      const who = await signIn(key);
      Object.assign(state, { key, role: who.role, tenant: who.tenant });
      store.setItem('console.key', key);
      store.setItem('console.role', who.role);
      store.setItem('console.tenant', who.tenant);
      $('api-key').value = '';
      await start();
    } catch (error) {
      $('sign-in-error').textContent = `Sign-in failed: ${error.message}`;
    }
  });

  $('sign-out').addEventListener('click', () => {
    store.clear();
    window.location.hash = '';
    window.location.reload();
  });

  async function start() {
    $('sign-in').hidden = true;
    $('app').hidden = false;
    $('sign-out').hidden = false;
    $('who').textContent = isAdmin() ? 'Signed in with the admin key' : `Signed in to tenant ${state.tenant}`;
    if (isAdmin()) await loadTenantChoices();
    await route();
  }

  async function loadTenantChoices() {
    const tenants = await api('/admin/tenants');
    const select = $('tenant');
    const ids = tenants.data.map((t) => t.id);
    if (!ids.includes(state.tenant)) ids.unshift(state.tenant);
    select.replaceChildren(...ids.map((id) => el('option', { value: id, selected: id === state.tenant, text: id })));
    $('tenant-bar').hidden = false;
  }

  $('tenant').addEventListener('change', async () => {
    state.tenant = $('tenant').value;
    store.setItem('console.tenant', state.tenant);
    await route();
  });

  // ---- views -------------------------------------------------------------------------------
  const views = { usage: loadUsage, requests: () => loadRequests(true), limits: loadLimits, sessions: async () => {}, tenants: loadTenants, cluster: loadCluster };

  async function route() {
    const name = (window.location.hash || '#usage').slice(1);
    const view = views[name] ? name : 'usage';
    for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
    for (const link of document.querySelectorAll('nav a')) {
      if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    showMessage(null);
    try {
      await views[view]();
    } catch (error) {
      showMessage(error);
    }
  }

  window.addEventListener('hashchange', () => { if (state.key) route(); });

  // Live views (usage, the newest requests, limits, cluster) refresh while the tab is visible,
  // so usage moves as requests flow. Views with forms the user is filling in are left alone.
  let refreshing = false;
  setInterval(async () => {
    if (!state.key || !$('live').checked || document.hidden || refreshing) return;
    const view = (window.location.hash || '#usage').slice(1);
    const live = { usage: loadUsage, requests: () => (state.cursors.length === 0 ? loadRequests(true) : null), limits: loadLimits, cluster: loadCluster }[view];
    if (!live) return;
    refreshing = true;
    try {
      await live();
    } catch (error) {
      showMessage(error);
    } finally {
      refreshing = false;
    }
  }, 5000);

  // Usage: totals and tables from /usage, the chart from /usage/series (same buckets, same totals).
  function usageRange() {
    return { from: $('usage-from').value, to: $('usage-to').value };
  }

  async function loadUsage() {
    const range = usageRange();
    const [byModel, byKey, series] = await Promise.all([
      api(scoped('/v1/usage', '/admin/usage', { ...range, group_by: 'model' })),
      api(scoped('/v1/usage', '/admin/usage', { ...range, group_by: 'key' })),
      api(scoped('/v1/usage/series', '/admin/usage/series', { ...range, granularity: $('usage-granularity').value })),
    ]);
    const t = byModel.totals;
    definitions($('usage-totals'), [
      ['Requests', number.format(t.requests), 'total-requests'],
      ['Tokens in', number.format(t.prompt_tokens), 'total-prompt-tokens'],
      ['Tokens out', number.format(t.completion_tokens), 'total-completion-tokens'],
      ['Total tokens', number.format(t.total_tokens), 'total-tokens'],
      ['Cost', money(t.cost_usd), 'total-cost'],
    ]);
    const columns = (name) => [
      { title: name, name: 'group', value: (r) => r[name] },
      { title: 'Requests', value: (r) => number.format(r.requests) },
      { title: 'Tokens in', value: (r) => number.format(r.prompt_tokens) },
      { title: 'Tokens out', value: (r) => number.format(r.completion_tokens) },
      { title: 'Total tokens', value: (r) => number.format(r.total_tokens) },
      { title: 'Cost', value: (r) => money(r.cost_usd) },
    ];
    table($('usage-by-model'), columns('model'), byModel.data);
    table($('usage-by-key'), columns('key'), byKey.data);
    drawChart(series);
  }

  function drawChart(series) {
    const split = $('usage-split').value;
    const metric = $('usage-metric').value;
    // Every day (or hour) of the range, so empty ones show as zero and the axis spans the range.
    const step = series.granularity === 'day' ? 86400000 : 3600000;
    const first = Date.parse(`${series.from}T00:00:00Z`);
    const last = Math.min(Date.parse(`${series.to}T00:00:00Z`) + 86400000 - step, Math.floor(Date.now() / step) * step);
    const starts = [];
    for (let at = first; at <= Math.max(first, last); at += step) starts.push(at);
    const names = [...new Set(series.data.map((r) => r[split]))].sort();
    const index = new Map(starts.map((s, i) => [s, i]));
    const columns = names.map(() => starts.map(() => 0));
    for (const row of series.data) {
      const at = index.get(row.start_ms);
      if (at !== undefined) columns[names.indexOf(row[split])][at] += Number(row[metric]);
    }
    const palette = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#4b5563'];
    const container = $('usage-chart');
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    container.replaceChildren();
    if (series.data.length === 0) {
      container.append(el('p', { text: 'No usage in this range.' }));
      return;
    }
    const options = {
      width: Math.max(280, container.clientWidth),
      height: 260,
      series: [{}, ...names.map((name, i) => ({ label: name, stroke: palette[i % palette.length], width: 2, points: { show: true } }))],
      axes: [{}, { size: 70 }],
      scales: { x: { time: true } },
    };
    state.chart = new window.uPlot(options, [starts.map((s) => s / 1000), ...columns], container);
    container.setAttribute('aria-label', `${$('usage-metric').selectedOptions[0].text} by ${split}, ${names.length} series over ${starts.length} ${series.granularity === 'day' ? 'days' : 'hours'}`);
  }

  window.addEventListener('resize', () => {
    if (state.chart) state.chart.setSize({ width: Math.max(280, $('usage-chart').clientWidth), height: 260 });
  });

  $('usage-form').addEventListener('submit', (event) => { event.preventDefault(); loadUsage().catch(showMessage); });
  for (const id of ['usage-granularity', 'usage-split', 'usage-metric']) $(id).addEventListener('change', () => loadUsage().catch(showMessage));

  $('usage-export').addEventListener('click', async () => {
    try {
      const response = await api(scoped('/v1/usage/export', '/admin/usage/export', { ...usageRange(), group_by: $('usage-split').value }), { raw: true });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: `usage-${state.tenant}-${usageRange().from}-${usageRange().to}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      showMessage(error);
    }
  });

  // Requests: the ledger's recent records, newest first, a page at a time.
  async function loadRequests(fromNewest) {
    if (fromNewest) state.cursors = [];
    const params = { ...usageRange(), limit: 25 };
    for (const [name, id] of [['model', 'requests-model'], ['key', 'requests-key'], ['session', 'requests-session'], ['status', 'requests-status']]) {
      const value = $(id).value.trim();
      if (value) params[name] = value;
    }
    const before = state.cursors[state.cursors.length - 1];
    if (before) params.before = before;
    const page = await api(scoped('/v1/usage/records', '/admin/usage/records', params));
    table($('requests-table'), [
      { title: 'Time (UTC)', value: (r) => r.time.replace('T', ' ').replace('Z', '') },
      { title: 'Key', value: (r) => r.key || '' },
      { title: 'Model', value: (r) => r.model },
      { title: 'Deployment', value: (r) => r.deployment || '' },
      { title: 'Session', value: (r) => r.session || '' },
      { title: 'Tokens in', value: (r) => number.format(r.prompt_tokens) },
      { title: 'Tokens out', value: (r) => number.format(r.completion_tokens) },
      { title: 'Latency', value: (r) => `${number.format(r.latency_ms)} ms` },
      { title: 'Status', value: (r) => r.status + (r.estimated ? ' (estimated)' : '') },
      { title: 'Cost', value: (r) => money(r.cost_usd) },
    ], page.data);
    $('requests-more').disabled = !page.has_more;
    $('requests-more').dataset.next = page.next_before || '';
  }

  $('requests-form').addEventListener('submit', (event) => { event.preventDefault(); loadRequests(true).catch(showMessage); });
  $('requests-newest').addEventListener('click', () => loadRequests(true).catch(showMessage));
  $('requests-more').addEventListener('click', () => {
    const next = $('requests-more').dataset.next;
    if (!next) return;
    state.cursors.push(next);
    loadRequests(false).catch(showMessage);
  });

  // Limits: live use of each scope in the current window, quotas left, leases in flight.
  async function loadLimits() {
    const limits = await api(isAdmin() ? `/admin/tenants/${enc(state.tenant)}/limits` : '/v1/limits');
    const q = limits.quotas;
    const left = (value) => (value === null || value === undefined ? 'no quota' : number.format(value));
    definitions($('limits-summary'), [
      ['Leases in flight', number.format(limits.leases), 'limits-leases'],
      ['Tokens today', number.format(limits.tokens_today), 'limits-tokens-today'],
      ['Tokens left today', left(q.tokens_per_day_left), 'limits-day-left'],
      ['Tokens left this month', left(q.tokens_per_month_left), 'limits-month-left'],
      ['Budget left this month', q.budget_usd_left === null ? 'no budget' : money(q.budget_usd_left), 'limits-budget-left'],
    ]);
    const of = (used, limit) => (limit ? `${number.format(used)} / ${number.format(limit)}` : number.format(used));
    table($('limits-table'), [
      { title: 'Scope', value: (s) => s.scope },
      { title: 'Requests in window', value: (s) => of(s.requests_in_window, s.rpm) },
      { title: 'Tokens in window', value: (s) => of(s.tokens_in_window, s.tpm) },
      { title: 'In flight', value: (s) => of(s.in_flight, s.max_concurrency) },
    ], limits.scopes);
  }

  $('limits-refresh').addEventListener('click', () => loadLimits().catch(showMessage));

  $('session-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const id = $('session-id').value.trim();
      const session = await api(isAdmin() ? `/admin/sessions/${enc(id)}?tenant=${enc(state.tenant)}` : `/v1/sessions/${enc(id)}`);
      definitions($('session-result'), [
        ['Requests', number.format(session.requests), 'session-requests'],
        ['Tokens in', number.format(session.prompt_tokens), 'session-prompt-tokens'],
        ['Tokens out', number.format(session.completion_tokens), 'session-completion-tokens'],
        ['Pinned to', Object.entries(session.pins || {}).map(([m, d]) => `${m} → ${d}`).join(', ') || 'nothing', 'session-pins'],
        ['Re-pins', number.format(session.repins), 'session-repins'],
        ['Last seen', session.last_seen ? new Date(session.last_seen * 1000).toISOString() : 'never', 'session-last-seen'],
      ]);
      showMessage(null);
    } catch (error) {
      showMessage(error);
    }
  });

  // Tenants and keys (admin key only: a tenant key gets the API's 403, shown as it is).
  async function loadTenants() {
    $('key-secret').hidden = true;
    const tenants = await api('/admin/tenants');
    table($('tenants-table'), [
      { title: 'Tenant', value: (t) => t.id },
      { title: 'Models', value: (t) => t.models.join(', ') },
      { title: 'RPM', value: (t) => t.limits.rpm ?? '' },
      { title: 'TPM', value: (t) => t.limits.tpm ?? '' },
      { title: 'Tokens per day', value: (t) => t.limits.tokens_per_day ?? '' },
      { title: 'Keys', value: (t) => t.keys },
      { title: '', name: 'select', value: (t) => el('button', { type: 'button', onclick: () => selectTenant(t.id), text: `Show ${t.id}` }) },
    ], tenants.data);
    await loadKeys();
  }

  async function selectTenant(id) {
    state.tenant = id;
    store.setItem('console.tenant', id);
    await loadTenantChoices();
    await loadTenants();
  }

  async function loadKeys() {
    $('keys-title').textContent = `Keys of ${state.tenant}`;
    let keys = { data: [] };
    try {
      keys = await api(`/admin/tenants/${enc(state.tenant)}/keys`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
    table($('keys-table'), [
      { title: 'Key id', value: (k) => k.id },
      { title: 'Name', value: (k) => k.name || '' },
      { title: 'Prefix', value: (k) => k.prefix },
      { title: 'Created', value: (k) => new Date(k.created * 1000).toISOString().slice(0, 16).replace('T', ' ') },
      { title: 'Last used', value: (k) => (k.last_used ? new Date(k.last_used * 1000).toISOString().slice(0, 16).replace('T', ' ') : 'never') },
      { title: '', name: 'revoke', value: (k) => el('button', { type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.id}`, onclick: () => revokeKey(k.id), text: 'Revoke' }) },
    ], keys.data);
  }

  async function revokeKey(id) {
    if (!window.confirm(`Revoke key ${id}? Requests with it are refused within seconds.`)) return;
    try {
      await api(`/admin/tenants/${enc(state.tenant)}/keys/${enc(id)}`, { method: 'DELETE' });
      await loadTenants();
    } catch (error) {
      showMessage(error);
    }
  }

  $('key-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const name = $('key-name').value.trim();
      const issued = await api(`/admin/tenants/${enc(state.tenant)}/keys`, { method: 'POST', body: name ? { name } : {} });
      await loadTenants();
      $('key-secret-value').textContent = issued.key;
      $('key-secret').hidden = false;
      $('key-name').value = '';
    } catch (error) {
      showMessage(error);
    }
  });

  $('tenant-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = $('tenant-id').value.trim();
    const numberOrNull = (input) => (input.value ? Number(input.value) : null);
    const body = {
      models: $('tenant-models').value.split(',').map((m) => m.trim()).filter(Boolean),
      limits: { rpm: numberOrNull($('tenant-rpm')), tpm: numberOrNull($('tenant-tpm')), tokens_per_day: numberOrNull($('tenant-tokens-day')) },
    };
    try {
      await api(`/admin/tenants/${enc(id)}`, { method: 'PUT', body });
      await selectTenant(id);
    } catch (error) {
      showMessage(error);
    }
  });

  // Cluster: silos from membership, deployments with circuit state and requests in flight.
  async function loadCluster() {
    const cluster = await api('/admin/cluster');
    table($('silos-table'), [
      { title: 'Silo', value: (s) => s.name },
      { title: 'Address', value: (s) => s.address },
      { title: 'Status', value: (s) => s.status },
      { title: 'Started', value: (s) => new Date(s.started * 1000).toISOString().slice(0, 19).replace('T', ' ') },
    ], cluster.silos);
    table($('deployments-table'), [
      { title: 'Deployment', value: (d) => d.id },
      { title: 'Model', value: (d) => d.model },
      { title: 'Provider', value: (d) => d.provider },
      { title: 'Circuit', value: (d) => d.circuit.replace('_', '-') },
      { title: 'In flight', value: (d) => number.format(d.in_flight) },
      { title: 'Last failure', value: (d) => d.last_failure || '' },
    ], cluster.deployments);
  }

  $('cluster-refresh').addEventListener('click', () => loadCluster().catch(showMessage));

  // ---- start -------------------------------------------------------------------------------
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  $('usage-to').value = iso(today);
  $('usage-from').value = iso(new Date(today.getTime() - 6 * 86400000));
  if (state.key) start().catch((error) => { $('sign-in-error').textContent = error.message; });
})();

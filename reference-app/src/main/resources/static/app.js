/*
 * TokenKeeper dashboard: Vue's runtime build with render functions, so that the page runs under a
 * Content-Security-Policy without 'unsafe-eval' or 'unsafe-inline'. Every text from the server goes
 * through h() as a text child or an attribute value, never as HTML: a token named
 * <img src=x onerror=alert(1)> shows as those characters.
 *
 * The session: the access token lives in this page's memory only; the refresh token in an HttpOnly
 * cookie the page cannot read, renewed through POST /api/v1/auth/refresh with the X-CSRF-Token header
 * (the value of the readable tk_csrf cookie).
 */
(() => {
  'use strict';
  const { createApp, h, reactive, ref, computed, watch, onMounted, onBeforeUnmount, markRaw, nextTick } = Vue;

  // ---------------------------------------------------------------- session and API

  const session = reactive({ access: null, me: null, ready: false });
  let refreshing = null;

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
      this.status = status;
      this.problem = problem || {};
    }
  }

  function csrfCookie() {
    const m = document.cookie.match(/(?:^|;\s*)tk_csrf=([^;]+)/);
    return m ? m[1] : null;
  }

  /** One refresh at a time: the server treats a second use of a refresh token as theft. */
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const csrf = csrfCookie();
        if (!csrf) {
          return false;
        }
        const r = await fetch('/api/v1/auth/refresh', {
          method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' }
        });
        if (!r.ok) {
          return false;
        }
        session.access = (await r.json()).access_token;
        return true;
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function api(method, path, body, raw) {
    const send = () => {
      const headers = { 'Accept': raw ? 'text/csv' : 'application/json' };
      if (session.access) {
        headers['Authorization'] = 'Bearer ' + session.access;
      }
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
      }
      return fetch(path, {
        method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body)
      });
    };
    let r = await send();
    if (r.status === 401 && session.access && await refresh()) {
      r = await send();
    }
    if (r.status === 401 && session.me) {
      endSession();
    }
    if (!r.ok) {
      let problem = null;
      try { problem = await r.json(); } catch (e) { problem = { detail: r.statusText }; }
      throw new ApiError(r.status, problem);
    }
    if (raw) {
      return r;
    }
    return r.status === 204 ? null : r.json();
  }

  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v)) {
        v.forEach(x => u.append(k, x));
      } else if (v !== null && v !== undefined && v !== '') {
        u.append(k, v);
      }
    }
    const s = u.toString();
    return s ? '?' + s : '';
  }

  /** Every page of a listing (at most 20 of 1,000). */
  async function all(path, params) {
    const items = [];
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const page = await api('GET', path + qs({ ...params, limit: 1000, cursor }));
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) {
        break;
      }
    }
    return items;
  }

  async function loadMe() {
    session.me = await api('GET', '/api/v1/auth/me');
  }

  function endSession() {
    session.access = null;
    session.me = null;
    location.hash = '#/login';
  }

  async function logout() {
    try { await api('POST', '/api/v1/auth/logout'); } catch (e) { /* the session may be gone already */ }
    endSession();
  }

  const isAdmin = () => session.me && session.me.role === 'admin';

  /** User names by id: the tenant's for an admin, one's own otherwise. */
  async function userNames() {
    const users = isAdmin() ? await all('/api/v1/users', {}) : [{ id: session.me.user_id, username: session.me.username }];
    return Object.fromEntries(users.filter(u => u.id).map(u => [u.id, u.username]));
  }

  /** A view's user names, fetched the first time it needs them and kept while the view is shown. */
  function cachedUserNames() {
    let names = null;
    return () => {
      if (!names) {
        names = userNames().catch(e => { names = null; throw e; });
      }
      return names;
    };
  }

  /** An audit actor (user:<id>, user:<id>/token:<id>, token:<id>) with user names where known. */
  const actorName = (actor, names) => actor.replace(/user:([A-Za-z0-9_]+)/, (m, id) => names[id] ? 'user:' + names[id] : m);

  // ---------------------------------------------------------------- formatting

  const nf = new Intl.NumberFormat();
  const fmtInt = n => nf.format(n);
  /** Money arrives as an exact decimal string; shown to the cent (or more for small sums), exact in the title. */
  function fmtUsd(s) {
    const v = Number(s);
    const digits = v !== 0 && Math.abs(v) < 1 ? 4 : 2;
    return '$' + v.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function fmtTime(iso, zone) {
    if (!iso) {
      return '—';
    }
    return new Date(iso).toLocaleString(undefined, {
      timeZone: zone || undefined, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit'
    });
  }
  const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const zones = () => {
    try { return ['UTC', ...Intl.supportedValuesOf('timeZone').filter(z => z !== 'UTC')]; } catch (e) { return ['UTC', localZone()]; }
  };
  function dateInZone(ms, zone) {
    const p = parts(ms, zone);
    return p.year + '-' + p.month + '-' + p.day;
  }
  function parts(ms, zone) {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit'
    });
    return Object.fromEntries(f.formatToParts(new Date(ms)).map(x => [x.type, x.value]));
  }
  /** The zone's offset from UTC at an instant, in ms. */
  function offset(zone, ms) {
    const p = parts(ms, zone);
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  /** The instant a calendar day (yyyy-mm-dd) starts in a zone, plus some days. */
  function dayStart(date, zone, plusDays) {
    const [y, m, d] = date.split('-').map(Number);
    const guess = Date.UTC(y, m - 1, d + (plusDays || 0));
    let t = guess - offset(zone, guess);
    t = guess - offset(zone, t);
    return new Date(t).toISOString();
  }
  const today = zone => dateInZone(Date.now(), zone);
  const daysAgo = (zone, n) => dateInZone(Date.now() - n * 86400000, zone);

  // ---------------------------------------------------------------- small components

  const field = (label, input) => h('label', { class: 'field' }, [label, input]);

  function textInput(model, key, attrs) {
    return h('input', {
      ...attrs, value: model[key], onInput: e => { model[key] = e.target.value; }
    });
  }

  function select(model, key, options, attrs) {
    return h('select', { ...attrs, value: model[key], onChange: e => { model[key] = e.target.value; } },
      options.map(o => Array.isArray(o) ? h('option', { value: o[0] }, o[1]) : h('option', { value: o }, o)));
  }

  const errorBox = err => err ? h('div', { class: 'error', role: 'alert' }, err) : null;

  function modal(title, onClose, children, name) {
    return h('div', { class: 'overlay', onClick: e => { if (e.target === e.currentTarget) onClose(); } },
      h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title, 'data-modal': name || title },
        [h('h2', title), ...children]));
  }

  function badge(text) {
    return h('span', { class: 'badge ' + text }, text);
  }

  function message(e) {
    if (e instanceof ApiError) {
      return e.message + (e.problem.code ? ' (' + e.problem.code + ')' : '');
    }
    return String(e && e.message || e);
  }

  /** Runs an async action with busy and error state. */
  function action(state) {
    return async fn => {
      state.busy = true;
      state.error = null;
      try {
        return await fn();
      } catch (e) {
        state.error = message(e);
        return undefined;
      } finally {
        state.busy = false;
      }
    };
  }

  /** A Chart.js chart on a canvas, redrawn when its config changes, destroyed with the view. */
  const ChartView = {
    props: ['config', 'label'],
    setup(props) {
      const canvas = ref(null);
      let chart = null;
      const draw = () => {
        if (chart) {
          chart.destroy();
          chart = null;
        }
        if (canvas.value && props.config) {
          chart = markRaw(new Chart(canvas.value, props.config));
        }
      };
      onMounted(draw);
      watch(() => props.config, () => nextTick(draw));
      onBeforeUnmount(() => chart && chart.destroy());
      return () => h('div', { class: 'chart-box' },
        h('canvas', { ref: canvas, role: 'img', 'aria-label': props.label }));
    }
  };

  const palette = ['#1f4e8c', '#2e9c8f', '#e39b2d', '#c4465a', '#7a5cc4', '#5a8f29', '#8c6d46', '#3aa0d8', '#d45fa0', '#6b7b8c'];

  // ---------------------------------------------------------------- login

  const LoginView = {
    setup() {
      const form = reactive({ username: '', password: '', error: null, busy: false });
      const submit = async e => {
        e.preventDefault();
        form.busy = true;
        form.error = null;
        try {
          const r = await fetch('/api/v1/auth/login', {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
            body: JSON.stringify({ username: form.username, password: form.password, refresh_token_in_cookie: true })
          });
          const body = await r.json();
          if (!r.ok) {
            form.error = r.status === 429
              ? 'Too many attempts: try again in ' + (r.headers.get('Retry-After') || 'a few') + ' seconds.'
              : r.status === 401 ? 'Wrong user name or password.' : body.detail;
            return;
          }
          session.access = body.access_token;
          try {
            await loadMe();
          } catch (err) {
            if (err instanceof ApiError && err.status === 403) {
              form.error = 'Agents call LLMs through the gateway; they cannot use the dashboard.';
              await logout();
              location.hash = '#/login';
              return;
            }
            throw err;
          }
          form.password = '';
          location.hash = '#/usage';
        } catch (err) {
          form.error = message(err);
        } finally {
          form.busy = false;
        }
      };
      return () => h('main', h('div', { class: 'login panel' }, [
        h('h1', 'TokenKeeper'),
        errorBox(form.error),
        h('form', { onSubmit: submit, 'data-form': 'login' }, [
          field('User name', textInput(form, 'username', { name: 'username', autocomplete: 'username', required: true })),
          field('Password', textInput(form, 'password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
          h('button', { class: 'primary', type: 'submit', disabled: form.busy }, 'Log in')
        ])
      ]));
    }
  };

  // ---------------------------------------------------------------- usage

  const UsageView = {
    setup() {
      // the range is kept in the address (#/usage?from=...&to=...&zone=...): a reload or a link shows the same figures
      const q = new URLSearchParams(location.hash.split('?')[1] || '');
      const zone = zones().includes(q.get('zone')) ? q.get('zone') : localZone();
      const isDate = v => /^\d{4}-\d{2}-\d{2}$/.test(v || '');
      const f = reactive({
        from: isDate(q.get('from')) ? q.get('from') : daysAgo(zone, 29),
        to: isDate(q.get('to')) ? q.get('to') : today(zone),
        zone
      });
      const s = reactive({ busy: false, error: null, usage: null, errors: null, providers: [], projects: [], models: [] });
      const run = action(s);
      const range = () => ({ from: dayStart(f.from, f.zone), to: dayStart(f.to, f.zone, 1) });
      const load = () => run(async () => {
        history.replaceState(null, '', '#/usage?' + new URLSearchParams({ from: f.from, to: f.to, zone: f.zone }));
        const r = range();
        const days = (Date.parse(r.to) - Date.parse(r.from)) / 86400000;
        const granularity = days <= 2 ? 'hour' : days <= 120 ? 'day' : 'week';
        const [usage, errors, providers, projects, models] = await Promise.all([
          api('GET', '/api/v1/usage' + qs({ ...r, granularity, zone: f.zone })),
          api('GET', '/api/v1/usage' + qs({ ...r, granularity, zone: f.zone, status: 'error' })),
          api('GET', '/api/v1/usage/by-provider' + qs({ ...r, limit: 20 })),
          api('GET', '/api/v1/usage/by-project' + qs({ ...r, limit: 20 })),
          api('GET', '/api/v1/usage/by-model' + qs({ ...r, limit: 100 }))
        ]);
        Object.assign(s, { usage, errors, providers: providers.rows, projects: projects.rows, models: models.rows });
        // when the figures are on screen: the first view's time, for anyone measuring (docs/dashboard.md)
        await nextTick();
        if (!performance.getEntriesByName('tk:usage-shown').length) {
          performance.mark('tk:usage-shown');
        }
      });
      onMounted(load);

      const lineConfig = computed(() => {
        if (!s.usage) {
          return null;
        }
        const points = s.usage.series.points;
        const hourly = s.usage.series.granularity === 'hour';
        return {
          type: 'line',
          data: {
            labels: points.map(p => new Date(p.start).toLocaleString(undefined, hourly
              ? { timeZone: f.zone, month: 'short', day: 'numeric', hour: '2-digit' }
              : { timeZone: f.zone, month: 'short', day: 'numeric' })),
            datasets: [
              { label: 'Tokens', data: points.map(p => p.totals.total_tokens), borderColor: palette[0], backgroundColor: palette[0], yAxisID: 'y', tension: 0.25 },
              { label: 'Cost (USD)', data: points.map(p => Number(p.totals.cost_usd)), borderColor: palette[2], backgroundColor: palette[2], yAxisID: 'y1', tension: 0.25 }
            ]
          },
          options: {
            maintainAspectRatio: false, animation: false, interaction: { mode: 'index', intersect: false },
            scales: { y: { beginAtZero: true, position: 'left' }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } }
          }
        };
      });
      const pieConfig = computed(() => s.providers.length ? {
        type: 'doughnut',
        data: {
          labels: s.providers.map(r => r.key || '(none)'),
          datasets: [{ data: s.providers.map(r => Number(r.totals.cost_usd)), backgroundColor: palette }]
        },
        options: { maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'bottom' } } }
      } : null);
      const barConfig = computed(() => s.projects.length ? {
        type: 'bar',
        data: {
          labels: s.projects.map(r => r.key || '(no project)'),
          datasets: [{ label: 'Cost (USD)', data: s.projects.map(r => Number(r.totals.cost_usd)), backgroundColor: palette[1] }]
        },
        options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
      } : null);

      const card = (name, label, value, exact) => h('div', { class: 'card', 'data-card': name }, [
        h('div', { class: 'label' }, label),
        h('div', { class: 'value', 'data-value': exact, title: exact }, value)
      ]);

      return () => {
        const t = s.usage && s.usage.totals;
        return h('main', [
          h('h1', 'Usage'),
          h('div', { class: 'toolbar panel' }, [
            field('From', h('input', { type: 'date', name: 'from', value: f.from, max: f.to, onChange: e => { f.from = e.target.value; load(); } })),
            field('To', h('input', { type: 'date', name: 'to', value: f.to, min: f.from, onChange: e => { f.to = e.target.value; load(); } })),
            field('Time zone', h('select', { name: 'zone', value: f.zone, onChange: e => { f.zone = e.target.value; load(); } },
              zones().map(z => h('option', { value: z }, z)))),
            h('span', { class: 'grow' }),
            h('button', { onClick: load, disabled: s.busy }, 'Refresh')
          ]),
          errorBox(s.error),
          s.usage && s.usage.series.approximate
            ? h('div', { class: 'notice small' }, 'This zone is not a whole number of hours from UTC: day boundaries are rounded to the hour.')
            : null,
          h('div', { class: 'grid cards' }, t ? [
            card('tokens', 'Tokens', fmtInt(t.total_tokens), String(t.total_tokens)),
            card('cost', 'Cost', fmtUsd(t.cost_usd), t.cost_usd),
            card('calls', 'Calls', fmtInt(t.requests), String(t.requests)),
            card('errors', 'Errors', fmtInt(s.errors.totals.requests), String(s.errors.totals.requests))
          ] : []),
          h('div', { class: 'grid charts' }, [
            h('div', { class: 'panel wide' }, [h('h2', 'Over time'), h(ChartView, { config: lineConfig.value, label: 'tokens and cost over time' })]),
            h('div', { class: 'panel' }, [h('h2', 'Cost by provider'), h(ChartView, { config: pieConfig.value, label: 'cost by provider' })]),
            h('div', { class: 'panel' }, [h('h2', 'Cost by project'), h(ChartView, { config: barConfig.value, label: 'cost by project' })])
          ]),
          h('div', { class: 'panel' }, [
            h('h2', 'Cost by model'),
            h('div', { class: 'table-wrap' }, h('table', { 'data-table': 'models' }, [
              h('thead', h('tr', [h('th', 'Model'), h('th', { class: 'num' }, 'Calls'), h('th', { class: 'num' }, 'Input'),
                h('th', { class: 'num' }, 'Cached input'), h('th', { class: 'num' }, 'Output'), h('th', { class: 'num' }, 'Avg latency'), h('th', { class: 'num' }, 'Cost')])),
              h('tbody', s.models.length ? s.models.map(r => h('tr', { 'data-model': r.key }, [
                h('td', r.key),
                h('td', { class: 'num' }, fmtInt(r.totals.requests)),
                h('td', { class: 'num' }, fmtInt(r.totals.input_tokens)),
                h('td', { class: 'num' }, fmtInt(r.totals.cached_input_tokens)),
                h('td', { class: 'num' }, fmtInt(r.totals.output_tokens + r.totals.reasoning_tokens)),
                h('td', { class: 'num' }, Math.round(r.totals.average_latency_ms) + ' ms'),
                h('td', { class: 'num', title: r.totals.cost_usd, 'data-value': r.totals.cost_usd }, fmtUsd(r.totals.cost_usd))
              ])) : [h('tr', h('td', { colspan: 7, class: 'muted' }, 'No calls in this range.'))])
            ]))
          ])
        ]);
      };
    }
  };

  // ---------------------------------------------------------------- tokens

  const TokensView = {
    setup() {
      const s = reactive({ busy: false, error: null, items: [], users: {}, status: '', search: '', modal: null, secret: null, target: null });
      const names = cachedUserNames();
      const run = action(s);
      const form = reactive({});
      const load = () => run(async () => {
        const [items, users] = await Promise.all([all('/api/v1/tokens', { status: s.status }), names()]);
        s.items = items;
        s.users = users;
      });
      onMounted(load);
      const owner = t => t.user_id ? (s.users[t.user_id] || t.user_id) : '—';
      const shown = computed(() => {
        const q = s.search.trim().toLowerCase();
        return q ? s.items.filter(t => [t.name, t.display_prefix, t.project_id, owner(t), t.id]
          .some(v => v && String(v).toLowerCase().includes(q))) : s.items;
      });
      const openIssue = () => {
        Object.assign(form, { name: '', project_id: '', role: 'agent', user_id: session.me.user_id || '', providers: '', models: '', expires_days: '' });
        s.error = null;
        s.modal = 'issue';
      };
      const list = v => v.split(',').map(x => x.trim()).filter(Boolean);
      const issue = e => {
        e.preventDefault();
        return run(async () => {
          const body = { name: form.name, role: form.role };
          if (form.project_id) body.project_id = form.project_id;
          if (form.user_id) body.user_id = form.user_id;
          if (form.providers) body.allowed_providers = list(form.providers);
          if (form.models) body.allowed_models = list(form.models);
          if (form.expires_days) body.expires_in_seconds = Math.round(Number(form.expires_days) * 86400);
          const r = await api('POST', '/api/v1/tokens', body);
          s.secret = r.token;
          s.modal = 'secret';
          await load();
        });
      };
      const rotate = e => {
        e.preventDefault();
        return run(async () => {
          const r = await api('PUT', '/api/v1/tokens/' + encodeURIComponent(s.target.id) + '/rotate', { grace_period_seconds: Number(form.grace) });
          s.secret = r.token;
          s.modal = 'secret';
          await load();
        });
      };
      const revoke = e => {
        e.preventDefault();
        return run(async () => {
          await api('DELETE', '/api/v1/tokens/' + encodeURIComponent(s.target.id) + qs({ reason: form.reason }));
          s.modal = null;
          await load();
        });
      };
      const copied = ref(false);
      const copy = async () => {
        try {
          await navigator.clipboard.writeText(s.secret);
          copied.value = true;
        } catch (e) {
          const code = document.querySelector('[data-secret]');
          const range = document.createRange();
          range.selectNodeContents(code);
          window.getSelection().removeAllRanges();
          window.getSelection().addRange(range);
        }
      };
      const close = () => { s.modal = null; s.secret = null; copied.value = false; };

      const modals = () => {
        if (s.modal === 'issue') {
          const roles = isAdmin() ? ['agent', 'user', 'admin'] : ['agent', 'user'];
          return modal('Generate a token', close, [errorBox(s.error), h('form', { onSubmit: issue, 'data-form': 'issue' }, [
            h('div', { class: 'form-grid' }, [
              field('Name', textInput(form, 'name', { name: 'name', required: true, maxlength: 200 })),
              field('Project', textInput(form, 'project_id', { name: 'project_id', placeholder: 'optional' })),
              field('Role', select(form, 'role', roles, { name: 'role' })),
              isAdmin() ? field('Owner', select(form, 'user_id', [['', '(no user)'], ...Object.entries(s.users)], { name: 'user_id' })) : null,
              field('Providers', textInput(form, 'providers', { name: 'providers', placeholder: 'any, or openai, anthropic' })),
              field('Models', textInput(form, 'models', { name: 'models', placeholder: 'any, or gpt-4o*, demo' })),
              field('Expires in (days)', textInput(form, 'expires_days', { name: 'expires_days', type: 'number', min: 1, placeholder: 'never' }))
            ]),
            h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: close }, 'Cancel'),
              h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Generate')])
          ])], 'issue');
        }
        if (s.modal === 'secret') {
          return modal('Your new token', close, [
            h('div', { class: 'notice' }, 'Copy it now: you won\u2019t see it again. TokenKeeper keeps only its hash.'),
            h('div', { class: 'secret' }, [h('code', { 'data-secret': '' }, s.secret),
              h('button', { onClick: copy, 'data-action': 'copy' }, copied.value ? 'Copied' : 'Copy')]),
            h('div', { class: 'actions' }, h('button', { class: 'primary', onClick: close }, 'Done'))
          ], 'secret');
        }
        if (s.modal === 'rotate') {
          return modal('Rotate \u201c' + s.target.name + '\u201d', close, [errorBox(s.error),
            h('p', 'A new secret replaces the current one. During the grace period both work, so clients can switch without downtime.'),
            h('form', { onSubmit: rotate, 'data-form': 'rotate' }, [
              field('Grace period', select(form, 'grace', [['0', 'none: the old secret stops now'], ['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']], { name: 'grace' })),
              h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: close }, 'Cancel'),
                h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Rotate')])
            ])], 'rotate');
        }
        if (s.modal === 'revoke') {
          return modal('Revoke \u201c' + s.target.name + '\u201d?', close, [errorBox(s.error),
            h('p', 'Every call with this token is refused from now on. This cannot be undone.'),
            h('form', { onSubmit: revoke, 'data-form': 'revoke' }, [
              field('Reason (kept in the audit log)', textInput(form, 'reason', { name: 'reason', maxlength: 200 })),
              h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: close }, 'Cancel'),
                h('button', { class: 'primary danger', type: 'submit', disabled: s.busy }, 'Revoke')])
            ])], 'revoke');
        }
        return null;
      };

      return () => h('main', [
        h('h1', 'Tokens'),
        h('div', { class: 'toolbar' }, [
          field('Search', h('input', { type: 'search', name: 'search', value: s.search, placeholder: 'name, prefix, owner, project', onInput: e => { s.search = e.target.value; } })),
          field('Status', h('select', { name: 'status', value: s.status, onChange: e => { s.status = e.target.value; load(); } },
            [['', 'all'], ['active', 'active'], ['expired', 'expired'], ['revoked', 'revoked']].map(([v, l]) => h('option', { value: v }, l)))),
          h('span', { class: 'grow' }),
          h('button', { class: 'primary', onClick: openIssue, 'data-action': 'issue' }, 'Generate token')
        ]),
        s.modal ? null : errorBox(s.error),
        h('div', { class: 'panel table-wrap' }, h('table', { 'data-table': 'tokens' }, [
          h('thead', h('tr', ['Name', 'Prefix', 'Owner', 'Project', 'Providers / models', 'Created', 'Expires', 'Last used', 'Status', ''].map(c => h('th', c)))),
          h('tbody', shown.value.length ? shown.value.map(t => h('tr', { 'data-token': t.id }, [
            h('td', { 'data-col': 'name' }, t.name),
            h('td', h('code', t.display_prefix)),
            h('td', owner(t)),
            h('td', t.project_id || '—'),
            h('td', { class: 'small' }, [(t.allowed_providers.length ? t.allowed_providers.join(', ') : 'any provider'), h('br'),
              (t.allowed_models.length ? t.allowed_models.join(', ') : 'any model')]),
            h('td', { class: 'nowrap' }, fmtTime(t.created_at)),
            h('td', { class: 'nowrap' }, t.expires_at ? fmtTime(t.expires_at) : 'never'),
            h('td', { class: 'nowrap' }, fmtTime(t.last_used_at)),
            h('td', { 'data-col': 'status' }, badge(t.status)),
            h('td', { class: 'nowrap' }, t.status === 'active' ? [
              h('button', { class: 'link', 'data-action': 'rotate', onClick: () => { s.target = t; form.grace = '0'; s.error = null; s.modal = 'rotate'; } }, 'Rotate'),
              h('button', { class: 'link danger', 'data-action': 'revoke', onClick: () => { s.target = t; form.reason = ''; s.error = null; s.modal = 'revoke'; } }, 'Revoke')
            ] : null)
          ])) : [h('tr', h('td', { colspan: 10, class: 'muted' }, s.busy ? 'Loading…' : 'No tokens.'))])
        ])),
        modals()
      ]);
    }
  };

  // ---------------------------------------------------------------- limits

  const scopes = ['tenant', 'user', 'project', 'token', 'run'];
  const metrics = [['cost_usd', 'cost (USD)'], ['tokens', 'tokens'], ['requests', 'requests']];
  const periods = [['month', 'month'], ['week', 'week'], ['day', 'day'], ['hour', 'hour'], ['total', 'total (never resets)'], ['rolling_minute', 'per minute (rate limit)']];

  function progress(l, u) {
    const amount = Number(u.amount);
    const grace = Number(l.grace);
    const used = Number(u.used);
    const reserved = Number(u.reserved);
    const max = amount + grace || 1;
    const pct = v => Math.min(100, (v / max) * 100);
    const share = amount ? used / amount : 0;
    const kind = share >= 1 ? 'over' : share >= 0.8 ? 'warn' : '';
    return h('div', {
      class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': amount, 'aria-valuenow': used,
      'aria-label': l.name, title: u.used + ' used of ' + u.amount + (grace ? ' (+' + l.grace + ' grace)' : '') + ', ' + u.reserved + ' reserved'
    }, [
      grace ? h('div', { class: 'grace', style: { width: (100 - pct(amount)) + '%' } }) : null,
      h('div', { class: 'used ' + kind, style: { width: pct(used) + '%' } }),
      reserved ? h('div', { class: 'reserved', style: { left: pct(used) + '%', width: pct(reserved) + '%' } }) : null,
      ...l.alert_thresholds.filter(t => t < 100).map(t => h('div', { class: 'tick', style: { left: pct(amount * t / 100) + '%' } }))
    ]);
  }

  const fmtAmount = (metric, v) => metric === 'cost_usd' ? fmtUsd(v) : fmtInt(Number(v));

  const LimitsView = {
    setup() {
      const s = reactive({ busy: false, error: null, items: [], usage: {}, modal: null, target: null, creating: false });
      const run = action(s);
      const form = reactive({});
      const load = () => run(async () => {
        const items = await all('/api/v1/limits', {});
        const usage = await Promise.all(items.map(l => api('GET', '/api/v1/limits/' + encodeURIComponent(l.id) + '/usage').catch(() => null)));
        s.items = items;
        s.usage = Object.fromEntries(items.map((l, i) => [l.id, usage[i]]));
      });
      onMounted(load);
      const thresholds = v => v.split(',').map(x => x.trim()).filter(Boolean).map(Number);
      const openCreate = () => {
        Object.assign(form, { name: '', scope: isAdmin() ? 'tenant' : 'user', scope_id: isAdmin() ? '' : session.me.user_id, provider: '', model: '',
          metric: 'cost_usd', amount: '', grace: '0', period: 'month', zone: localZone(), alert_thresholds: '50, 80, 100' });
        s.error = null;
        s.modal = 'create';
      };
      const create = e => {
        e.preventDefault();
        return run(async () => {
          const body = { name: form.name, scope: form.scope, metric: form.metric, amount: String(form.amount), grace: String(form.grace || '0'),
            period: form.period, zone: form.zone, alert_thresholds: thresholds(form.alert_thresholds) };
          if (form.scope !== 'tenant') body.scope_id = form.scope_id;
          if (form.provider) body.provider = form.provider;
          if (form.model) body.model = form.model;
          await api('POST', '/api/v1/limits', body);
          s.modal = null;
          await load();
        });
      };
      const openEdit = l => {
        Object.assign(form, { name: l.name, amount: l.amount, grace: l.grace, alert_thresholds: l.alert_thresholds.join(', ') });
        s.target = l;
        s.error = null;
        s.modal = 'edit';
      };
      const save = e => {
        e.preventDefault();
        return run(async () => {
          await api('PATCH', '/api/v1/limits/' + encodeURIComponent(s.target.id),
            { name: form.name, amount: String(form.amount), grace: String(form.grace), alert_thresholds: thresholds(form.alert_thresholds) });
          s.modal = null;
          await load();
        });
      };
      const remove = () => run(async () => {
        await api('DELETE', '/api/v1/limits/' + encodeURIComponent(s.target.id));
        s.modal = null;
        await load();
      });
      const close = () => { s.modal = null; };

      const modals = () => {
        if (s.modal === 'create') {
          return modal('New limit', close, [errorBox(s.error), h('form', { onSubmit: create, 'data-form': 'limit' }, [
            h('div', { class: 'form-grid' }, [
              field('Name', textInput(form, 'name', { name: 'name', required: true })),
              field('Applies to', select(form, 'scope', isAdmin() ? scopes : ['user', 'token'], { name: 'scope' })),
              form.scope !== 'tenant' ? field('Which (' + form.scope + ' id)', textInput(form, 'scope_id', { name: 'scope_id', required: true })) : null,
              field('Measure', select(form, 'metric', metrics, { name: 'metric' })),
              field('Amount', textInput(form, 'amount', { name: 'amount', required: true, inputmode: 'decimal' })),
              field('Grace', textInput(form, 'grace', { name: 'grace', inputmode: 'decimal' })),
              field('Period', select(form, 'period', periods, { name: 'period' })),
              field('Time zone', select(form, 'zone', zones(), { name: 'zone' })),
              field('Provider', textInput(form, 'provider', { name: 'provider', placeholder: 'any' })),
              field('Model', textInput(form, 'model', { name: 'model', placeholder: 'any, or gpt-4o*' })),
              field('Alerts at (%)', textInput(form, 'alert_thresholds', { name: 'alert_thresholds' }))
            ]),
            h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: close }, 'Cancel'),
              h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Create')])
          ])], 'limit');
        }
        if (s.modal === 'edit') {
          return modal('Edit \u201c' + s.target.name + '\u201d', close, [errorBox(s.error), h('form', { onSubmit: save, 'data-form': 'edit-limit' }, [
            h('div', { class: 'form-grid' }, [
              field('Name', textInput(form, 'name', { name: 'name', required: true })),
              field('Amount', textInput(form, 'amount', { name: 'amount', required: true })),
              field('Grace', textInput(form, 'grace', { name: 'grace' })),
              field('Alerts at (%)', textInput(form, 'alert_thresholds', { name: 'alert_thresholds' }))
            ]),
            h('p', { class: 'small muted' }, 'What the current window has counted so far is kept.'),
            h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: close }, 'Cancel'),
              h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Save')])
          ])], 'edit-limit');
        }
        if (s.modal === 'delete') {
          return modal('Delete \u201c' + s.target.name + '\u201d?', close, [errorBox(s.error),
            h('p', 'Calls stop being counted against this limit.'),
            h('div', { class: 'actions' }, [h('button', { onClick: close }, 'Cancel'),
              h('button', { class: 'primary danger', onClick: remove, disabled: s.busy, 'data-action': 'confirm-delete' }, 'Delete')])], 'delete-limit');
        }
        return null;
      };

      return () => h('main', [
        h('h1', 'Limits'),
        h('div', { class: 'toolbar' }, [h('span', { class: 'grow' }),
          h('button', { onClick: load, disabled: s.busy }, 'Refresh'),
          h('button', { class: 'primary', onClick: openCreate, 'data-action': 'new-limit' }, 'New limit')]),
        s.modal ? null : errorBox(s.error),
        h('div', { class: 'panel table-wrap' }, h('table', { 'data-table': 'limits' }, [
          h('thead', h('tr', ['Name', 'Applies to', 'Measure', 'Period', 'Used', 'Consumption', ''].map(c => h('th', c)))),
          h('tbody', s.items.length ? s.items.map(l => {
            const u = s.usage[l.id];
            return h('tr', { 'data-limit': l.id }, [
              h('td', l.name),
              h('td', [l.scope + (l.scope_id ? ': ' + l.scope_id : ''), l.provider || l.model
                ? h('div', { class: 'small muted' }, [l.provider, l.model].filter(Boolean).join(' / ')) : null]),
              h('td', l.metric.replace('_usd', ' (USD)')),
              h('td', [l.period.replace('_', ' '), h('div', { class: 'small muted' }, l.zone)]),
              h('td', { class: 'nowrap', 'data-col': 'used' }, u ? [fmtAmount(l.metric, u.used) + ' of ' + fmtAmount(l.metric, u.amount),
                Number(l.grace) ? h('div', { class: 'small muted' }, '+' + fmtAmount(l.metric, l.grace) + ' grace') : null,
                Number(u.reserved) ? h('div', { class: 'small muted' }, fmtAmount(l.metric, u.reserved) + ' in flight') : null] : '—'),
              h('td', u ? progress(l, u) : null),
              h('td', { class: 'nowrap' }, [
                h('button', { class: 'link', 'data-action': 'edit', onClick: () => openEdit(l) }, 'Edit'),
                h('button', { class: 'link danger', 'data-action': 'delete', onClick: () => { s.target = l; s.error = null; s.modal = 'delete'; } }, 'Delete')])
            ]);
          }) : [h('tr', h('td', { colspan: 7, class: 'muted' }, s.busy ? 'Loading…' : 'No limits.'))])
        ])),
        modals()
      ]);
    }
  };

  // ---------------------------------------------------------------- traces

  const TracesView = {
    setup() {
      const zone = localZone();
      const f = reactive({ provider: '', model: '', status: '', from: daysAgo(zone, 6), to: today(zone) });
      const s = reactive({ busy: false, error: null, items: [], cursors: [], next: null, detail: null, names: {} });
      const names = cachedUserNames();
      const run = action(s);
      const filters = () => ({
        provider: f.provider.trim(), model: f.model.trim(), status: f.status,
        from: f.from ? dayStart(f.from, zone) : null, to: f.to ? dayStart(f.to, zone, 1) : null
      });
      const page = cursor => run(async () => {
        const r = await api('GET', '/api/v1/traces' + qs({ ...filters(), limit: 50, cursor }));
        s.items = r.items;
        s.next = r.next_cursor;
      });
      const search = e => { if (e) e.preventDefault(); s.cursors = []; return page(null); };
      const older = () => { s.cursors.push(s.next); return page(s.next); };
      const newer = () => { s.cursors.pop(); return page(s.cursors.length ? s.cursors[s.cursors.length - 1] : null); };
      onMounted(() => page(null));
      const open = t => run(async () => {
        const [detail, known] = await Promise.all([api('GET', '/api/v1/traces/' + encodeURIComponent(t.id)), names()]);
        s.names = known;
        s.detail = detail;
      });
      const exportCsv = () => run(async () => {
        const r = await api('GET', '/api/v1/traces/export.csv' + qs(filters()), undefined, true);
        const url = URL.createObjectURL(await r.blob());
        const a = document.createElement('a');
        a.href = url;
        a.download = 'traces-' + f.from + '-to-' + f.to + '.csv';
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      });
      const tokens = t => fmtInt(t.input_tokens + t.cached_input_tokens + t.cache_write_tokens) + ' → ' + fmtInt(t.output_tokens + t.reasoning_tokens);

      const drawer = () => {
        const t = s.detail;
        if (!t) {
          return null;
        }
        const row = (k, v) => [h('dt', k), h('dd', v === null || v === undefined || v === '' ? '—' : String(v))];
        return [h('div', { class: 'drawer-overlay', onClick: () => { s.detail = null; } }),
          h('aside', { class: 'drawer', role: 'dialog', 'aria-label': 'trace', 'data-drawer': t.id }, [
            h('div', { class: 'toolbar' }, [h('h2', { class: 'grow' }, 'Call ' + t.request_id), h('button', { onClick: () => { s.detail = null; } }, 'Close')]),
            h('dl', { class: 'details' }, [
              ...row('Time', fmtTime(t.at) + ' (' + t.at + ')'), ...row('Status', t.status), ...row('Error', t.error_message),
              ...row('Provider', t.provider), ...row('Model', t.model), ...row('Token', t.token_id), ...row('User', t.user_id ? (s.names[t.user_id] || '') + ' (' + t.user_id + ')' : null),
              ...row('Project', t.project_id), ...row('Input tokens', fmtInt(t.input_tokens)), ...row('Cached input', fmtInt(t.cached_input_tokens)),
              ...row('Cache writes', fmtInt(t.cache_write_tokens)), ...row('Output tokens', fmtInt(t.output_tokens)),
              ...row('Reasoning tokens', fmtInt(t.reasoning_tokens)), ...row('Cost (USD)', t.cost_usd + (t.price_missing ? ' (no price known)' : '')),
              ...row('Usage from', t.usage_source), ...row('Latency', t.latency_ms + ' ms'), ...row('Trace id', t.id),
              ...Object.entries(t.metadata).flatMap(([k, v]) => row(k, v))
            ])
          ])];
      };

      return () => h('main', [
        h('h1', 'Traces'),
        h('form', { class: 'toolbar panel', onSubmit: search, 'data-form': 'trace-filter' }, [
          field('Provider', textInput(f, 'provider', { name: 'provider', placeholder: 'any' })),
          field('Model', textInput(f, 'model', { name: 'model', placeholder: 'any' })),
          field('Status', select(f, 'status', [['', 'any'], ['success', 'success'], ['error', 'error'], ['cancelled', 'cancelled'], ['denied', 'denied']], { name: 'status' })),
          field('From', textInput(f, 'from', { name: 'from', type: 'date' })),
          field('To', textInput(f, 'to', { name: 'to', type: 'date' })),
          h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Apply'),
          h('span', { class: 'grow' }),
          h('button', { type: 'button', onClick: exportCsv, disabled: s.busy, 'data-action': 'export' }, 'Export CSV')
        ]),
        errorBox(s.error),
        h('div', { class: 'panel table-wrap' }, [h('table', { 'data-table': 'traces', 'aria-busy': String(s.busy) }, [
          h('thead', h('tr', [h('th', 'Time'), h('th', 'Status'), h('th', 'Provider'), h('th', 'Model'), h('th', 'Project'),
            h('th', { class: 'num' }, 'Tokens in → out'), h('th', { class: 'num' }, 'Latency'), h('th', { class: 'num' }, 'Cost')])),
          h('tbody', s.items.length ? s.items.map(t => h('tr', { class: 'clickable', 'data-trace': t.id, onClick: () => open(t) }, [
            h('td', { class: 'nowrap' }, fmtTime(t.at)), h('td', badge(t.status)), h('td', t.provider), h('td', t.model),
            h('td', t.project_id || '—'), h('td', { class: 'num' }, tokens(t)), h('td', { class: 'num' }, t.latency_ms + ' ms'),
            h('td', { class: 'num', title: t.cost_usd }, fmtUsd(t.cost_usd))
          ])) : [h('tr', h('td', { colspan: 8, class: 'muted' }, s.busy ? 'Loading…' : 'No calls match.'))])
        ]),
        h('div', { class: 'pager' }, [
          h('button', { onClick: newer, disabled: s.busy || !s.cursors.length, 'data-action': 'newer' }, '← Newer'),
          h('button', { onClick: older, disabled: s.busy || !s.next, 'data-action': 'older' }, 'Older →')
        ])]),
        drawer()
      ]);
    }
  };

  // ---------------------------------------------------------------- audit

  const AuditView = {
    setup() {
      const zone = localZone();
      const f = reactive({ action: '', from: daysAgo(zone, 29), to: today(zone) });
      const s = reactive({ busy: false, error: null, items: [], next: null, names: {} });
      const names = cachedUserNames();
      const run = action(s);
      const params = () => ({
        action: f.action.split(',').map(x => x.trim()).filter(Boolean),
        from: f.from ? dayStart(f.from, zone) : null, to: f.to ? dayStart(f.to, zone, 1) : null
      });
      const load = e => {
        if (e) e.preventDefault();
        return run(async () => {
          const [r, known] = await Promise.all([api('GET', '/api/v1/audit' + qs({ ...params(), limit: 100 })), names()]);
          s.names = known;
          s.items = r.items;
          s.next = r.next_cursor;
        });
      };
      const more = () => run(async () => {
        const r = await api('GET', '/api/v1/audit' + qs({ ...params(), limit: 100, cursor: s.next }));
        s.items = [...s.items, ...r.items];
        s.next = r.next_cursor;
      });
      onMounted(load);
      return () => h('main', [
        h('h1', 'Audit log'),
        h('form', { class: 'toolbar panel', onSubmit: load, 'data-form': 'audit-filter' }, [
          field('Actions', textInput(f, 'action', { name: 'action', placeholder: 'e.g. token.revoked, access.denied' })),
          field('From', textInput(f, 'from', { name: 'from', type: 'date' })),
          field('To', textInput(f, 'to', { name: 'to', type: 'date' })),
          h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Apply')
        ]),
        errorBox(s.error),
        h('div', { class: 'panel table-wrap' }, [h('table', { 'data-table': 'audit' }, [
          h('thead', h('tr', ['Time', 'Action', 'Outcome', 'Actor', 'Source', 'Target', 'Details'].map(c => h('th', c)))),
          h('tbody', s.items.length ? s.items.map(e => h('tr', { 'data-event': e.id }, [
            h('td', { class: 'nowrap' }, fmtTime(e.at)), h('td', h('code', e.action)), h('td', e.outcome.toLowerCase()),
            h('td', { class: 'small', title: e.actor }, actorName(e.actor, s.names)), h('td', { class: 'small' }, e.source || '—'),
            h('td', { class: 'small' }, e.target_type + (e.target_id ? ' ' + e.target_id : '')),
            h('td', { class: 'small' }, Object.entries(e.metadata).map(([k, v]) => k + '=' + v).join(', '))
          ])) : [h('tr', h('td', { colspan: 7, class: 'muted' }, s.busy ? 'Loading…' : 'No events.'))])
        ]),
        s.next ? h('div', { class: 'pager' }, h('button', { onClick: more, disabled: s.busy }, 'Load more')) : null])
      ]);
    }
  };

  // ---------------------------------------------------------------- users

  const UsersView = {
    setup() {
      const s = reactive({ busy: false, error: null, items: [], modal: null, target: null });
      const run = action(s);
      const form = reactive({});
      const load = () => run(async () => { s.items = await all('/api/v1/users', {}); });
      onMounted(load);
      const patch = (u, body) => run(async () => {
        await api('PATCH', '/api/v1/users/' + encodeURIComponent(u.id), body);
        await load();
      });
      const create = e => {
        e.preventDefault();
        return run(async () => {
          await api('POST', '/api/v1/users', { username: form.username, password: form.password, role: form.role });
          s.modal = null;
          await load();
        });
      };
      const remove = () => run(async () => {
        await api('DELETE', '/api/v1/users/' + encodeURIComponent(s.target.id));
        s.modal = null;
        await load();
      });
      const close = () => { s.modal = null; };
      const modals = () => {
        if (s.modal === 'create') {
          return modal('New user', close, [errorBox(s.error), h('form', { onSubmit: create, 'data-form': 'user' }, [
            h('div', { class: 'form-grid' }, [
              field('User name', textInput(form, 'username', { name: 'username', required: true, autocomplete: 'off' })),
              field('Password (12 characters or more)', textInput(form, 'password', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' })),
              field('Role', select(form, 'role', ['user', 'admin', 'agent'], { name: 'role' }))
            ]),
            h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: close }, 'Cancel'),
              h('button', { class: 'primary', type: 'submit', disabled: s.busy }, 'Create')])
          ])], 'user');
        }
        if (s.modal === 'delete') {
          return modal('Delete ' + s.target.username + '?', close, [errorBox(s.error),
            h('p', 'Their sessions end and their active API tokens are revoked.'),
            h('div', { class: 'actions' }, [h('button', { onClick: close }, 'Cancel'),
              h('button', { class: 'primary danger', onClick: remove, disabled: s.busy, 'data-action': 'confirm-delete' }, 'Delete')])], 'delete-user');
        }
        return null;
      };
      return () => h('main', [
        h('h1', 'Users'),
        h('div', { class: 'toolbar' }, [h('span', { class: 'grow' }),
          h('button', { class: 'primary', 'data-action': 'new-user', onClick: () => { Object.assign(form, { username: '', password: '', role: 'user' }); s.error = null; s.modal = 'create'; } }, 'New user')]),
        s.modal ? null : errorBox(s.error),
        h('div', { class: 'panel table-wrap' }, h('table', { 'data-table': 'users' }, [
          h('thead', h('tr', ['User name', 'Role', 'Status', 'Created', ''].map(c => h('th', c)))),
          h('tbody', s.items.map(u => {
            const self = u.id === session.me.user_id;
            return h('tr', { 'data-user': u.username }, [
              h('td', u.username + (self ? ' (you)' : '')),
              h('td', h('select', { value: u.role, disabled: self || s.busy, 'aria-label': 'role of ' + u.username,
                onChange: e => patch(u, { role: e.target.value }) }, ['admin', 'user', 'agent'].map(r => h('option', { value: r }, r)))),
              h('td', badge(u.disabled ? 'disabled' : 'active')),
              h('td', { class: 'nowrap' }, fmtTime(u.created_at)),
              h('td', { class: 'nowrap' }, self ? null : [
                h('button', { class: 'link', 'data-action': u.disabled ? 'enable' : 'disable', onClick: () => patch(u, { disabled: !u.disabled }) }, u.disabled ? 'Enable' : 'Disable'),
                h('button', { class: 'link danger', 'data-action': 'delete', onClick: () => { s.target = u; s.error = null; s.modal = 'delete'; } }, 'Delete')])
            ]);
          }))
        ])),
        modals()
      ]);
    }
  };

  // ---------------------------------------------------------------- password

  const PasswordDialog = {
    emits: ['close'],
    setup(_, { emit }) {
      const form = reactive({ current: '', next: '', again: '', error: null, busy: false, done: false });
      const submit = e => {
        e.preventDefault();
        if (form.next !== form.again) {
          form.error = 'The two new passwords differ.';
          return undefined;
        }
        return action(form)(async () => {
          await api('PUT', '/api/v1/auth/password', { current_password: form.current, new_password: form.next });
          form.done = true;
        });
      };
      return () => modal('Change password', () => emit('close'), form.done
        ? [h('div', { class: 'notice' }, 'Password changed. Your other sessions have ended.'),
          h('div', { class: 'actions' }, h('button', { class: 'primary', onClick: () => emit('close') }, 'Done'))]
        : [errorBox(form.error), h('form', { onSubmit: submit, 'data-form': 'password' }, [
          h('div', { class: 'form-grid' }, [
            field('Current password', textInput(form, 'current', { name: 'current', type: 'password', required: true, autocomplete: 'current-password' })),
            field('New password', textInput(form, 'next', { name: 'next', type: 'password', required: true, autocomplete: 'new-password' })),
            field('New password again', textInput(form, 'again', { name: 'again', type: 'password', required: true, autocomplete: 'new-password' }))
          ]),
          h('div', { class: 'actions' }, [h('button', { type: 'button', onClick: () => emit('close') }, 'Cancel'),
            h('button', { class: 'primary', type: 'submit', disabled: form.busy }, 'Change')])
        ])], 'password');
    }
  };

  // ---------------------------------------------------------------- shell

  const views = { usage: ['Usage', UsageView], tokens: ['Tokens', TokensView], limits: ['Limits', LimitsView],
    traces: ['Traces', TracesView], audit: ['Audit', AuditView], users: ['Users', UsersView] };

  const App = {
    setup() {
      const current = () => location.hash.replace(/^#\/?/, '').split('?')[0] || 'usage';
      const route = ref(current());
      const password = ref(false);
      window.addEventListener('hashchange', () => { route.value = current(); });
      onMounted(async () => {
        try {
          if (await refresh()) {
            await loadMe();
          }
        } catch (e) {
          session.access = null;
          session.me = null;
        }
        session.ready = true;
      });
      return () => {
        if (!session.ready) {
          return h('p', { class: 'boot' }, 'Loading TokenKeeper…');
        }
        if (!session.me) {
          return h(LoginView);
        }
        const allowed = Object.keys(views).filter(k => k !== 'users' || isAdmin());
        const name = allowed.includes(route.value) ? route.value : 'usage';
        document.title = views[name][0] + ' · TokenKeeper';
        return [
          h('header', { class: 'top' }, [
            h('span', { class: 'brand' }, 'TokenKeeper'),
            h('nav', allowed.map(k => h('a', { href: '#/' + k, class: k === name ? 'active' : '', 'data-nav': k }, views[k][0]))),
            h('div', { class: 'account' }, [
              h('span', { class: 'small', 'data-me': session.me.username }, session.me.username + ' · ' + session.me.role),
              h('button', { onClick: () => { password.value = true; }, 'data-action': 'password' }, 'Password'),
              h('button', { onClick: logout, 'data-action': 'logout' }, 'Log out')
            ])
          ]),
          h(views[name][1], { key: name }),
          password.value ? h(PasswordDialog, { onClose: () => { password.value = false; } }) : null
        ];
      };
    }
  };

  createApp(App).mount('#app');
})();

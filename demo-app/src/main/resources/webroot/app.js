// The Converge demo page: vanilla JS, no dependencies. It talks to this node's API (same origin)
// and reads the other nodes' APIs directly (CORS) for the side-by-side panel.
'use strict';

(function () {
  const POLL_MILLIS = 500;
  const CLUSTER_MILLIS = 1000;
  const CHART_WINDOW_MILLIS = 60000;
  const FETCH_TIMEOUT_MILLIS = 3000;
  const COLORS = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626'];

  const state = {
    node: null, // this node's id
    cluster: null, // last GET /api/cluster
    posts: new Map(), // id -> post JSON, as this node sees it
    selected: null, // post id of the panel and chart
    series: new Map(), // node id -> [{t, likes}]
    colors: new Map(), // node id -> colour
    polling: false,
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ HTTP

  async function api(method, url, body, extraHeaders) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), method === 'GET' ? FETCH_TIMEOUT_MILLIS : 10000);
    const headers = Object.assign({}, extraHeaders || {});
    const init = { method, headers, signal: controller.signal, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(url, init);
      let json = null;
      try {
        json = await response.json();
      } catch (e) {
        json = null;
      }
      return { ok: response.ok, status: response.status, json };
    } finally {
      clearTimeout(timer);
    }
  }

  function consistency() {
    return $('consistency').value;
  }

  async function write(method, path, body) {
    const level = consistency();
    const url = path + '?consistency=' + encodeURIComponent(level);
    if (level !== 'local') {
      showMessage('info', 'Waiting for a ' + level + ' of replicas to store the write…');
    }
    let result;
    try {
      result = await api(method, url, body);
    } catch (e) {
      showMessage('error', 'Request failed: ' + e);
      return null;
    }
    if (result.ok) {
      if (level !== 'local') {
        showMessage('ok', 'Accepted with consistency ' + level + '.');
      }
      updatePost(result.json);
      return result.json;
    }
    const error = result.json && result.json.error ? result.json.error : 'HTTP ' + result.status;
    if (result.status === 503 && result.json && result.json.required !== undefined) {
      showMessage('error', 'Refused (503): ' + error);
    } else {
      showMessage('error', 'Refused (' + result.status + '): ' + error);
    }
    // A refused quorum write is kept locally: show the node's value anyway.
    refreshPost(currentIdOf(path));
    return null;
  }

  function currentIdOf(path) {
    const m = /^\/api\/posts\/([^/]+)/.exec(path);
    return m ? decodeURIComponent(m[1]) : null;
  }

  async function refreshPost(id) {
    if (!id) return;
    try {
      const r = await api('GET', '/api/posts/' + encodeURIComponent(id));
      if (r.ok) updatePost(r.json);
    } catch (e) {
      /* ignored: the next event or poll catches up */
    }
  }

  // ------------------------------------------------------------------ messages

  let messageTimer = null;

  function showMessage(kind, text) {
    const box = $('message');
    box.hidden = false;
    box.dataset.kind = kind;
    box.textContent = text;
    clearTimeout(messageTimer);
    if (kind !== 'error') {
      messageTimer = setTimeout(() => { box.hidden = true; }, 4000);
    }
  }

  // ------------------------------------------------------------------ posts

  function postCard(id) {
    let card = document.querySelector('[data-post-id="' + CSS.escape(id) + '"]');
    if (card) return card;
    const node = $('post-template').content.firstElementChild.cloneNode(true);
    node.dataset.postId = id;
    node.setAttribute('data-testid', 'post-' + id);
    node.id = 'post-' + id;
    node.querySelector('.post-id').textContent = id;
    const base = '/api/posts/' + encodeURIComponent(id);
    node.querySelector('.like').addEventListener('click', () => { select(id); write('POST', base + '/like'); });
    node.querySelector('.unlike').addEventListener('click', () => { select(id); write('POST', base + '/unlike'); });
    node.querySelector('.select').addEventListener('click', () => select(id, true));
    node.querySelector('.add-liker').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const input = node.querySelector('.liker-input');
      const name = input.value.trim();
      if (!name) return;
      write('PUT', base + '/likers/' + encodeURIComponent(name)).then((ok) => { if (ok) input.value = ''; });
    });
    node.querySelector('.edit-title').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const input = node.querySelector('.title-input');
      write('PUT', base + '/title', { title: input.value }).then((ok) => { if (ok) input.value = ''; });
    });
    // Keep cards sorted by id.
    const list = $('posts');
    const after = Array.from(list.children).find((c) => c.dataset.postId > id);
    list.insertBefore(node, after || null);
    $('no-posts').hidden = true;
    return node;
  }

  function updatePost(post) {
    if (!post || !post.id) return;
    state.posts.set(post.id, post);
    const card = postCard(post.id);
    const title = card.querySelector('.title');
    title.textContent = post.title || '(untitled)';
    title.classList.toggle('untitled', !post.title);
    card.querySelector('.likes').textContent = post.likes;
    card.querySelector('.views').textContent = post.views;
    const likers = card.querySelector('.likers');
    likers.replaceChildren();
    if (post.likers.length === 0) {
      const none = document.createElement('span');
      none.className = 'muted small';
      none.textContent = 'no likers yet';
      likers.appendChild(none);
    }
    for (const name of post.likers) {
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.setAttribute('data-testid', 'liker-' + name);
      chip.textContent = name;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'chip-x';
      remove.title = 'remove ' + name;
      remove.setAttribute('data-testid', 'remove-liker-' + name);
      remove.textContent = '×';
      remove.addEventListener('click', () =>
        write('DELETE', '/api/posts/' + encodeURIComponent(post.id) + '/likers/' + encodeURIComponent(name)));
      chip.appendChild(remove);
      likers.appendChild(chip);
    }
    if (!state.selected) select(post.id);
  }

  async function loadPosts() {
    try {
      const r = await api('GET', '/api/posts');
      if (r.ok) {
        r.json.forEach(updatePost);
        $('no-posts').hidden = r.json.length > 0 || state.posts.size > 0;
      }
    } catch (e) {
      showMessage('error', 'Cannot load posts: ' + e);
    }
  }

  function select(id, countView) {
    if (state.selected !== id) {
      state.selected = id;
      state.series = new Map();
      $('selected-post').textContent = id;
      document.querySelectorAll('.post').forEach((c) => c.classList.toggle('selected', c.dataset.postId === id));
      location.hash = encodeURIComponent(id);
      pollReplicas();
    }
    if (countView) {
      write('POST', '/api/posts/' + encodeURIComponent(id) + '/view');
    }
  }

  // ------------------------------------------------------------------ cluster

  function colorOf(node) {
    if (!state.colors.has(node)) state.colors.set(node, COLORS[state.colors.size % COLORS.length]);
    return state.colors.get(node);
  }

  async function loadCluster() {
    try {
      const r = await api('GET', '/api/cluster');
      if (!r.ok) return;
      state.cluster = r.json;
      state.node = r.json.node;
      $('node-id').textContent = r.json.node;
      $('node-id-2').textContent = r.json.node;
      $('node-id-3').textContent = r.json.node;
      document.title = 'Converge · ' + r.json.node;
      colorOf(r.json.node);
      renderPeers();
    } catch (e) {
      /* the node is down: keep the last view */
    }
  }

  function renderPeers() {
    const c = state.cluster;
    const peers = $('peers');
    peers.replaceChildren();
    if (c.peers.length === 0) {
      const alone = document.createElement('span');
      alone.className = 'muted small';
      alone.textContent = 'no peers yet';
      peers.appendChild(alone);
    }
    for (const p of c.peers) {
      const chip = document.createElement('span');
      const status = reachability(p);
      chip.className = 'peer ' + status;
      chip.setAttribute('data-testid', 'peer-' + p.id);
      chip.dataset.status = status;
      chip.dataset.memberStatus = p.status;
      chip.title = p.id + ' at ' + p.gossip + ': ' + p.status + ', ' + status;
      const dot = document.createElement('span');
      dot.className = 'dot';
      chip.appendChild(dot);
      // "up" is the normal case: the chip names only the other lifecycle states.
      chip.appendChild(document.createTextNode(p.id + (p.status === 'up' ? '' : ' · ' + p.status) + ' · ' + status));
      peers.appendChild(chip);
    }
    renderMembers();
    const banner = $('partition-banner');
    if (c.partitioned.length > 0) {
      banner.hidden = false;
      banner.textContent = 'Partitioned: ' + c.node + ' exchanges no gossip with ' + c.partitioned.join(', ') +
        '. Writes here stay here until you heal.';
    } else {
      banner.hidden = true;
    }
    document.body.classList.toggle('is-partitioned', c.partitioned.length > 0);
  }

  function reachability(p) {
    return p.partitioned ? 'partitioned' : p.reachable ? 'reachable' : 'unreachable';
  }

  const LIFECYCLE_TEXT = {
    leaving: (n) => n + ' is leaving the cluster: it hands its peers the writes they have not acknowledged, then stops serving data.',
    left: (n) => n + ' has left the cluster: its peers no longer count it, and it serves no data. Restart it to rejoin.',
    removed: (n) => n + ' was removed from the cluster: its writes are refused. Restart it with an empty data directory' +
      ' (or in memory) to rejoin as a new incarnation.',
  };

  // The cluster panel: this node's own status, then every member with its status and reachability.
  function renderMembers() {
    const c = state.cluster;
    const self = $('self-status');
    self.textContent = c.status;
    self.dataset.status = c.status;
    const gone = c.status === 'leaving' || c.status === 'left' || c.status === 'removed';
    $('leave').disabled = gone;
    const banner = $('lifecycle-banner');
    banner.hidden = !gone;
    banner.textContent = gone ? LIFECYCLE_TEXT[c.status](c.node) : '';
    document.body.classList.toggle('has-left', gone);

    const rows = $('member-rows');
    rows.replaceChildren();
    rows.appendChild(memberRow(c.node + ' (this)', c.node, c.status, 'this node', c.incarnation, null));
    for (const p of c.peers) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'btn danger';
      remove.textContent = 'Remove';
      remove.title = 'POST /admin/remove: ' + p.id + ' is gone for good';
      remove.setAttribute('data-testid', 'remove-' + p.id);
      remove.disabled = gone;
      remove.addEventListener('click', () => removeMember(p.id));
      rows.appendChild(memberRow(p.id, p.id, p.status, reachability(p), p.incarnation, remove));
    }
  }

  function memberRow(label, id, status, reach, incarnation, button) {
    const tr = document.createElement('tr');
    tr.setAttribute('data-testid', 'member-' + id);
    tr.dataset.node = id;
    tr.appendChild(cell(label));
    const st = cell(status, 'member-status');
    const badge = document.createElement('span');
    badge.className = 'status';
    badge.dataset.status = status;
    badge.textContent = status;
    st.replaceChildren(badge);
    tr.appendChild(st);
    const rc = cell(reach, 'member-reachability', 'reach');
    rc.dataset.reach = reach;
    tr.appendChild(rc);
    tr.appendChild(cell(incarnation || '–', null, 'mono small'));
    const actions = document.createElement('td');
    if (button) actions.appendChild(button);
    tr.appendChild(actions);
    return tr;
  }

  function adminHeaders() {
    const token = sessionStorage.getItem('converge-admin-token');
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  async function admin(path, body) {
    let r = await api('POST', path, body, adminHeaders());
    if (r.status === 401) {
      const token = window.prompt('This node needs its admin token (--admin-token):');
      if (!token) return r;
      sessionStorage.setItem('converge-admin-token', token);
      r = await api('POST', path, body, adminHeaders());
    }
    return r;
  }

  async function partition() {
    await loadCluster();
    const peers = state.cluster ? state.cluster.peers.map((p) => p.id) : [];
    if (peers.length === 0) {
      showMessage('error', 'No peers known yet: nothing to partition from.');
      return;
    }
    try {
      const r = await admin('/admin/partition', { peers });
      if (r.ok) {
        showMessage('ok', 'Partitioned from ' + r.json.partitioned.join(', ') + ' (gossip only; HTTP still works).');
      } else {
        showMessage('error', 'Partition refused (' + r.status + '): ' + (r.json ? r.json.error : ''));
      }
    } catch (e) {
      showMessage('error', 'Partition failed: ' + e);
    }
    loadCluster();
  }

  async function heal() {
    try {
      const r = await admin('/admin/heal');
      if (r.ok) {
        showMessage('ok', 'Healed: gossip flows again; replicas converge.');
      } else {
        showMessage('error', 'Heal refused (' + r.status + '): ' + (r.json ? r.json.error : ''));
      }
    } catch (e) {
      showMessage('error', 'Heal failed: ' + e);
    }
    loadCluster();
  }

  async function leaveCluster() {
    const node = state.node || 'this node';
    if (!window.confirm('Leave the cluster with ' + node + '?\n\nIt hands its peers what they have not ' +
        'acknowledged, then they stop counting it. It keeps serving this page but no data; restart it to rejoin.')) {
      return;
    }
    try {
      const r = await admin('/admin/leave');
      if (r.ok) {
        showMessage('ok', node + ' is leaving the cluster (status ' + r.json.status + ').');
      } else {
        showMessage('error', 'Leave refused (' + r.status + '): ' + (r.json ? r.json.error : ''));
      }
    } catch (e) {
      showMessage('error', 'Leave failed: ' + e);
    }
    loadCluster();
  }

  async function removeMember(id) {
    if (!window.confirm('Remove ' + id + ' from the cluster for good?\n\nIts peers stop counting it; ' +
        'writes that never left it are lost; if it comes back it is refused, unless as a new incarnation.')) {
      return;
    }
    try {
      const r = await admin('/admin/remove', { nodeId: id });
      if (r.ok) {
        showMessage('ok', 'Removed ' + r.json.removed + ' from the cluster.');
      } else {
        showMessage('error', 'Remove refused (' + r.status + '): ' + (r.json ? r.json.error : ''));
      }
    } catch (e) {
      showMessage('error', 'Remove failed: ' + e);
    }
    loadCluster();
  }

  // ------------------------------------------------------------------ replicas side by side

  function replicaNodes() {
    const c = state.cluster;
    if (!c) return [];
    const nodes = [{ id: c.node, http: '' }];
    for (const p of c.peers) {
      if (p.http) nodes.push({ id: p.id, http: p.http });
    }
    return nodes;
  }

  async function pollReplicas() {
    const id = state.selected;
    if (!id || state.polling) return;
    state.polling = true;
    try {
      const nodes = replicaNodes();
      const results = await Promise.all(nodes.map(async (n) => {
        try {
          const r = await api('GET', n.http + '/api/posts/' + encodeURIComponent(id));
          return { node: n.id, post: r.ok ? r.json : null };
        } catch (e) {
          return { node: n.id, post: null };
        }
      }));
      if (id !== state.selected) return;
      renderCompare(results);
      const now = Date.now();
      for (const r of results) {
        if (!r.post) continue;
        if (!state.series.has(r.node)) state.series.set(r.node, []);
        const s = state.series.get(r.node);
        s.push({ t: now, likes: r.post.likes });
        while (s.length > 0 && s[0].t < now - CHART_WINDOW_MILLIS) s.shift();
      }
      drawChart();
    } finally {
      state.polling = false;
    }
  }

  function signature(post) {
    return JSON.stringify([post.likes, post.views, post.likers, post.title]);
  }

  function cell(text, testid, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (testid) td.setAttribute('data-testid', testid);
    if (cls) td.className = cls;
    return td;
  }

  function renderCompare(results) {
    const rows = $('compare-rows');
    rows.replaceChildren();
    const answered = results.filter((r) => r.post);
    const reference = answered.length > 0 ? signature(answered[0].post) : null;
    for (const r of results) {
      const tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'replica-' + r.node);
      tr.dataset.node = r.node;
      const name = document.createElement('td');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colorOf(r.node);
      name.appendChild(swatch);
      name.appendChild(document.createTextNode(r.node + (r.node === state.node ? ' (this)' : '')));
      tr.appendChild(name);
      if (r.post) {
        tr.appendChild(cell(String(r.post.likes), 'replica-likes', 'num'));
        tr.appendChild(cell(String(r.post.views), 'replica-views', 'num'));
        tr.appendChild(cell(r.post.likers.join(', ') || '–', 'replica-likers'));
        tr.appendChild(cell(r.post.title || '–', 'replica-title'));
        if (signature(r.post) !== reference) tr.classList.add('differs');
      } else {
        const td = cell('no answer', 'replica-offline', 'muted');
        td.colSpan = 4;
        tr.appendChild(td);
      }
      rows.appendChild(tr);
    }
    const badge = $('agreement');
    let verdict = 'unknown';
    if (answered.length >= 2) {
      verdict = answered.every((r) => signature(r.post) === reference) ? 'agree' : 'disagree';
    }
    badge.dataset.state = verdict;
    badge.textContent = verdict === 'unknown' ? '–' : verdict;
    badge.title = verdict === 'agree'
      ? 'every replica that answered holds the same value'
      : verdict === 'disagree' ? 'the replicas hold different values: they will converge once they can gossip'
        : 'fewer than two replicas answered';
  }

  // ------------------------------------------------------------------ chart

  function drawChart() {
    const canvas = $('chart');
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = canvas.clientWidth || 560;
    const cssHeight = canvas.clientHeight || 220;
    if (canvas.width !== Math.round(cssWidth * ratio)) {
      canvas.width = Math.round(cssWidth * ratio);
      canvas.height = Math.round(cssHeight * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, cssWidth, cssHeight);
    const pad = { left: 40, right: 12, top: 10, bottom: 24 };
    const w = cssWidth - pad.left - pad.right;
    const h = cssHeight - pad.top - pad.bottom;
    const now = Date.now();
    const t0 = now - CHART_WINDOW_MILLIS;
    let min = Infinity;
    let max = -Infinity;
    for (const s of state.series.values()) {
      for (const p of s) {
        min = Math.min(min, p.likes);
        max = Math.max(max, p.likes);
      }
    }
    if (min === Infinity) { min = 0; max = 1; }
    if (max - min < 4) { max = min + 4; }
    const x = (t) => pad.left + ((t - t0) / CHART_WINDOW_MILLIS) * w;
    const y = (v) => pad.top + h - ((v - min) / (max - min)) * h;

    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#e5e7eb';
    g.fillStyle = '#6b7280';
    g.lineWidth = 1;
    const steps = 4;
    for (let i = 0; i <= steps; i++) {
      const v = min + ((max - min) * i) / steps;
      const yy = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(pad.left, yy);
      g.lineTo(pad.left + w, yy);
      g.stroke();
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      g.fillText(String(Math.round(v * 10) / 10), pad.left - 6, yy);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let s = 60; s >= 0; s -= 15) {
      g.fillText(s === 0 ? 'now' : '-' + s + 's', x(now - s * 1000), pad.top + h + 6);
    }

    const legend = $('legend');
    legend.replaceChildren();
    let index = 0;
    for (const [node, points] of state.series) {
      const color = colorOf(node);
      g.strokeStyle = color;
      g.lineWidth = 2.5 - Math.min(index, 2) * 0.5;
      g.setLineDash(index === 0 ? [] : [6, 3 + index]);
      g.beginPath();
      points.forEach((p, i) => {
        const px = Math.max(pad.left, x(p.t));
        const py = y(p.likes);
        if (i === 0) {
          g.moveTo(px, py);
        } else {
          g.lineTo(px, y(points[i - 1].likes)); // step line: a count changes at an instant
          g.lineTo(px, py);
        }
      });
      g.stroke();
      g.setLineDash([]);
      const item = document.createElement('span');
      item.className = 'legend-item';
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = color;
      item.appendChild(swatch);
      const last = points.length > 0 ? points[points.length - 1].likes : '–';
      item.appendChild(document.createTextNode(node + ': ' + last));
      legend.appendChild(item);
      index++;
    }
  }

  // ------------------------------------------------------------------ live updates

  function connectEvents() {
    const live = $('live');
    const source = new EventSource('/api/events');
    source.addEventListener('open', () => {
      live.textContent = 'live';
      live.dataset.state = 'live';
    });
    source.addEventListener('error', () => {
      live.textContent = 'reconnecting';
      live.dataset.state = 'down';
    });
    source.addEventListener('post', (ev) => {
      try {
        updatePost(JSON.parse(ev.data));
      } catch (e) {
        /* a malformed event: ignore */
      }
    });
  }

  // ------------------------------------------------------------------ start

  function start() {
    $('partition').addEventListener('click', partition);
    $('heal').addEventListener('click', heal);
    $('leave').addEventListener('click', leaveCluster);
    $('new-post').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const id = $('new-post-id').value.trim();
      const title = $('new-post-title').value.trim() || id;
      const post = await write('PUT', '/api/posts/' + encodeURIComponent(id) + '/title', { title });
      if (post) {
        $('new-post-id').value = '';
        $('new-post-title').value = '';
        select(id);
      }
    });
    const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    if (hash) select(hash);
    loadCluster().then(loadPosts).then(() => {
      if (state.posts.size === 0) $('no-posts').hidden = false;
    });
    connectEvents();
    setInterval(loadCluster, CLUSTER_MILLIS);
    setInterval(pollReplicas, POLL_MILLIS);
    window.addEventListener('resize', drawChart);
  }

  start();
})();

// The stand-in's one page: the channel with its messages and threads, blocks
// rendered readably, working buttons, a slash-command box, and the ephemeral
// replies the chosen person would see. Plain HTML and a little script.
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nightshift — Slack stand-in</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f8f8f8; color: #1d1c1d; }
  header { background: #3f0e40; color: #fff; padding: 10px 16px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 17px; margin: 0; }
  main { max-width: 860px; margin: 0 auto; padding: 12px; }
  .msg { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 10px 12px; margin: 10px 0; }
  .replies { margin: 8px 0 0 18px; border-left: 3px solid #e0d7e2; padding-left: 10px; }
  .replies .msg { margin: 6px 0; }
  .meta { color: #616061; font-size: 12px; margin-bottom: 4px; }
  .block { margin: 4px 0; }
  .header { font-weight: 700; font-size: 17px; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }
  .context { color: #616061; font-size: 12.5px; }
  hr { border: 0; border-top: 1px solid #eee; }
  button { font: inherit; padding: 4px 12px; margin: 2px 4px 2px 0; border-radius: 4px; border: 1px solid #bbb; background: #fff; cursor: pointer; }
  button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
  button.danger { background: #e01e5a; color: #fff; border-color: #e01e5a; }
  code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
  .ephemeral { background: #fffbe6; border-color: #f2d16b; }
  #status { font-size: 13px; }
  form { display: flex; gap: 6px; margin: 8px 0; }
  form input { flex: 1; font: inherit; padding: 4px 8px; }
</style>
</head>
<body>
<header>
  <h1># <span id="channel-name">incidents</span></h1>
  <label>you are <select id="user"></select></label>
  <span id="status"></span>
</header>
<main>
  <form id="command"><input id="command-text" placeholder="/nightshift help" autocomplete="off"><button>Send</button></form>
  <section id="ephemerals"></section>
  <section id="messages"></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
let people = [];
let lastJson = '';
const esc = (t) => String(t).replace(/&(?!(amp|lt|gt|quot);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function control(inner) {
  if (inner.startsWith('@')) { const p = people.find((x) => x.id === inner.slice(1)); return '<b>@' + esc(p ? p.name : inner.slice(1)) + '</b>'; }
  if (inner.startsWith('#')) return '<b>#' + esc(inner.slice(1).split('|').pop()) + '</b>';
  const date = /^!date\\^(\\d+)\\^[^|]*\\|?(.*)$/.exec(inner);
  if (date) return esc(new Date(Number(date[1]) * 1000).toLocaleTimeString());
  const [url, label] = inner.split('|');
  if (/^https?:/.test(url)) return '<a href="' + esc(url) + '">' + esc(label || url) + '</a>';
  return esc(label || url);
}
function mrkdwn(text) {
  return String(text).split(/<([^<>]+)>/).map((part, i) => {
    if (i % 2) return control(part);
    return esc(part)
      .replace(/\`([^\`]+)\`/g, '<code>$1</code>')
      .replace(/(^|[\\s(])\\*([^*\\n]+)\\*/g, '$1<b>$2</b>')
      .replace(/(^|[\\s(])_([^_\\n]+)_/g, '$1<i>$2</i>')
      .replace(/(^|[\\s(])~([^~\\n]+)~/g, '$1<s>$2</s>');
  }).join('').replace(/\\n/g, '<br>');
}
const text = (t) => (t.type === 'mrkdwn' ? mrkdwn(t.text) : esc(t.text));
function block(b, msg) {
  if (b.type === 'header') return '<div class="block header">' + esc(b.text.text) + '</div>';
  if (b.type === 'divider') return '<hr>';
  if (b.type === 'context') return '<div class="block context">' + b.elements.map(text).join(' ') + '</div>';
  if (b.type === 'section') {
    return '<div class="block">' + (b.text ? '<div>' + text(b.text) + '</div>' : '') +
      (b.fields ? '<div class="fields">' + b.fields.map((f) => '<div>' + text(f) + '</div>').join('') + '</div>' : '') + '</div>';
  }
  if (b.type === 'actions') {
    return '<div class="block">' + b.elements.map((e) => '<button class="' + (e.style || '') + '" data-ts="' + esc(msg.ts) +
      '" data-channel="' + esc(msg.channel) + '" data-action-id="' + esc(e.action_id) + '">' + esc(e.text.text) + '</button>').join('') + '</div>';
  }
  return '<div class="block context">[' + esc(b.type) + ' block]</div>';
}
function message(m, cls) {
  const who = m.bot_id ? 'nightshift' : (people.find((p) => p.id === m.user) || {}).name || m.user;
  const body = m.blocks && m.blocks.length ? m.blocks.map((b) => block(b, m)).join('') : '<div>' + mrkdwn(m.text) + '</div>';
  const files = (m.files || []).map((f) => '<div>📎 <a href="/files/' + esc(f.id) + '">' + esc(f.title) + '</a></div>').join('');
  const key = m.metadata && m.metadata.event_payload ? m.metadata.event_payload.key : '';
  return '<div class="msg ' + (cls || '') + '" data-ts="' + esc(m.ts) + '" data-key="' + esc(key || '') + '"><div class="meta">' + esc(who) +
    (m.edited ? ' · edited' : '') + ' · ' + esc(m.ts) + '</div>' + body + (m.files && m.text ? '' : '') + files + '</div>';
}
async function refresh() {
  const user = $('user').value;
  const res = await fetch('/_state?user=' + encodeURIComponent(user));
  const state = await res.json();
  const json = JSON.stringify(state);
  if (json === lastJson) return;
  lastJson = json;
  people = state.people;
  if (!$('user').options.length) {
    $('user').innerHTML = people.map((p) => '<option value="' + esc(p.id) + '">' + esc(p.realName) + '</option>').join('');
    lastJson = '';
    return refresh();
  }
  const top = state.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  $('messages').innerHTML = top.map((m) => {
    const replies = state.messages.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts);
    return message(m) + (replies.length ? '<div class="replies">' + replies.map((r) => message(r)).join('') + '</div>' : '');
  }).join('');
  $('ephemerals').innerHTML = state.ephemerals.slice(-3).map((e) => message({ ...e, bot_id: 'B' }, 'ephemeral')).join('');
}
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  $('status').textContent = answer.error ? 'error: ' + answer.error : 'gateway answered ' + answer.status + ' in ' + Math.round(answer.ms) + ' ms';
  lastJson = '';
  await refresh();
}
document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action-id]');
  if (!button) return;
  post('/_click', { user: $('user').value, channel: button.dataset.channel, ts: button.dataset.ts, actionId: button.dataset.actionId });
});
$('command').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('command-text').value.replace(/^\\/nightshift\\s*/, '');
  post('/_command', { user: $('user').value, text });
});
$('user').addEventListener('change', () => { lastJson = ''; refresh(); });
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;

// The workshop console's page. Everything the skill or the user said is put in the page as text (textContent),
// never as HTML: a slot value such as "<img onerror=...>" shows as typed. The CSP forbids inline script besides.
"use strict";

const state = { conversation: null, turns: 0, today: null };
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function line(kind, text) {
  const item = el("li", { class: kind }, text);
  $("dialog").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function speak(text) {
  if (!$("sound").checked || !("speechSynthesis" in window) || !text) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = $("locale").value;
  window.speechSynthesis.speak(utterance);
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function json(value) {
  const text = JSON.stringify(value, null, 2);
  const copy = el("button", { type: "button" }, "Copy");
  copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(text));
  return [copy, el("pre", {}, text)];
}

function details(title, value) {
  return el("details", {}, el("summary", {}, title), ...json(value));
}

function turnView(turn) {
  state.turns += 1;
  const facts = el("dl");
  const add = (name, value) => { if (value !== null && value !== undefined && value !== "") facts.append(el("dt", {}, name), el("dd", {}, value)); };
  const understood = turn.understood;
  add("request", turn.request_type || "none (Alexa answered itself)");
  if (understood) {
    add("understood", understood.kind === "intent" ? (understood.intent || "nothing matched") : understood.kind);
    for (const slot of understood.slots) {
      const resolved = slot.matches && slot.matches.length ? ` → ${slot.matches.map((m) => m[0]).join(", ")}` : "";
      add(`slot ${slot.name}`, `${slot.value}${resolved} (${slot.type})`);
    }
    add("matched", understood.sample);
  }
  for (const text of turn.progressive) add("progressive", text);
  add("speech", turn.speech);
  add("reprompt", turn.reprompt);
  // The skill's time includes its wait for the companies' answers: the last turn's is mostly that.
  add("timings", `NLU ${turn.timings.nlu_ms} ms, skill ${turn.timings.skill_ms} ms (its wait for the search included)`);
  if (turn.session_ended) add("session", "ended");
  const view = el("article", { class: "turn", "aria-label": `turn ${state.turns}` }, el("h3", {}, `${state.turns}. “${turn.said}”`), facts);
  if (turn.card) {
    view.append(el("div", { class: "card", "aria-label": "card" },
      el("strong", {}, turn.card.title || ""), "\n", turn.card.content || turn.card.text || ""));
  }
  if (turn.directives.length) view.append(details(`directives (${turn.directives.map((d) => d.type).join(", ")})`, turn.directives));
  view.append(details("session attributes", turn.session_attributes));
  if (turn.request) view.append(details("request envelope", turn.request));
  if (turn.response) view.append(details("response envelope", turn.response));
  $("turns").prepend(view);
}

async function say(text, again = false) {
  if (!again) line("user", text);
  const body = { text, locale: $("locale").value };
  if (state.conversation) body.conversation = state.conversation;
  let answer;
  try {
    const reply = await fetch("/api/turn", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    answer = await reply.json();
    connected(true);
    if (!reply.ok) {
      if (reply.status === 404 && body.conversation && !again) {
        // The stack restarted and forgot the conversation: what was said opens a new one, as a device's next
        // utterance would after a session ended.
        state.conversation = null;
        line("note", "(the stack restarted and forgot that conversation: this starts a new one)");
        return say(text, true);
      }
      showError(answer.message || `the console answered ${reply.status}`);
      return;
    }
  } catch (error) {
    connected(false);
    showError("The local stack does not answer: is `make serve` (or `make chat`) still running?");
    return;
  }
  showError("");
  state.conversation = answer.conversation;
  watchTimeline(answer.conversation);  // the live search timeline (below)
  const turn = answer.turn;
  for (const text of turn.progressive) { line("progressive", text); speak(text); }
  if (turn.error) line("problem", turn.error);
  else if (turn.speech) { line("alexa", turn.speech); speak(turn.speech); }
  if (turn.session_ended && !turn.error) line("note", "(the session is over: the next utterance opens a new one)");
  turnView(turn);
}

function connected(up) {
  $("status").textContent = up
    ? `Connected: the stack's today is ${state.today || "unknown"}.`
    : "Not connected: the local stack does not answer.";
}

async function start() {
  try {
    const reply = await fetch("/api/info");
    const info = await reply.json();
    const select = $("locale");
    select.replaceChildren(...info.locales.map((locale) => el("option", { value: locale }, locale)));
    select.value = info.locales.includes("en-US") ? "en-US" : info.locales[0];
    state.today = info.today;
    connected(true);
    workshopStart(info);
  } catch (error) {
    $("status").textContent = "The local stack does not answer: start it with `make serve`, then reload.";
  }
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("utterance");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text).finally(() => { input.focus(); workshopAfterTurn(); });
  });
  $("new-session").addEventListener("click", () => {
    state.conversation = null;
    $("locale").disabled = false;
    line("note", "(a new conversation: the next utterance opens a session)");
    $("utterance").focus();
  });
  $("utterance").focus();
}

// ---- Workshop helpers: save as replay, reload the model, locale, latency scale (server: workshop.py) ----

const workshop = { reloadedAt: {} };

function clockTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : "unknown";
}

function showModel(model, problem, reloaded) {
  const status = $("model-status");
  status.classList.toggle("problem", Boolean(model.error));
  if (model.error) {
    status.textContent = problem || `The ${model.locale} model cannot be used: ${model.error}`;
    return;
  }
  const before = workshop.reloadedAt[model.locale];
  workshop.reloadedAt[model.locale] = model.reloaded_at;
  status.textContent = reloaded || (before && before !== model.reloaded_at)
    ? `Model ${model.locale} reloaded at ${clockTime(model.reloaded_at)} (${model.intents} intents).`
    : `Model ${model.locale}: ${model.intents} intents, ${model.file} saved at ${clockTime(model.modified)}.`;
}

function showLatency(scale) {
  const select = $("latency");
  const value = String(scale);
  if (![...select.options].some((option) => option.value === value)) select.append(el("option", { value }, `${value}×`));
  select.value = value;
}

async function workshopRefresh() {
  try {
    const info = await (await fetch("/api/info")).json();
    const model = info.models[$("locale").value];
    if (model) showModel(model);
  } catch (error) {
    showError("The local stack does not answer: is `make serve` (or `make chat`) still running?");
  }
}

function workshopAfterTurn() {
  const link = $("save-replay");
  link.hidden = !state.conversation;
  $("replay-note").hidden = Boolean(state.conversation);
  if (state.conversation) link.setAttribute("href", `/api/replay?conversation=${encodeURIComponent(state.conversation)}`);
  workshopRefresh();
}

async function post(path, body) {
  const reply = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return [reply, await reply.json()];
}

async function reloadModel() {
  try {
    const [reply, answer] = await post("/api/model/reload", { locale: $("locale").value });
    if (reply.ok) {
      showModel(answer, null, true);
      showError("");
    } else {
      showModel(answer.locale ? answer : { error: answer.message }, answer.message);
      showError(answer.message);
    }
  } catch (error) {
    showError("The local stack does not answer: is `make serve` (or `make chat`) still running?");
  }
}

async function setLatency() {
  const scale = Number($("latency").value);
  try {
    const [reply, answer] = await post("/api/settings", { latency_scale: scale });
    if (!reply.ok) { showError(answer.message); return; }
    showError("");
    $("latency-status").textContent = `Set to ${answer.latency_scale}×: ${answer.applies_to}.`;
  } catch (error) {
    showError("The local stack does not answer: is `make serve` (or `make chat`) still running?");
  }
}

function changeLocale() {
  const locale = $("locale").value;
  if (state.conversation) {
    state.conversation = null;
    line("note", `(locale ${locale}: a new conversation in ${locale} starts with your next utterance)`);
  }
  workshopAfterTurn();
}

function workshopStart(info) {
  showLatency(info.latency_scale);
  const model = info.models[$("locale").value];
  if (model) showModel(model);
  $("reload-model").addEventListener("click", reloadModel);
  $("latency").addEventListener("change", setLatency);
  $("locale").addEventListener("change", changeLocale);
  $("new-session").addEventListener("click", workshopAfterTurn);
}

document.addEventListener("DOMContentLoaded", start);

// ---- The live search timeline: server-sent events from /api/events (local_stack/console/timeline.py) ----
// The URL names the console's conversation only: the search token stays in the console's server.
const timeline = { source: null, conversation: null, searches: new Map() };
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

function timelineStatus(message) {
  const box = $("timeline-status");
  box.textContent = message;
  box.hidden = !message;
}

function timelineSay(message) {
  $("timeline-live").textContent = message;  // polite, and only the search's milestones: not each company
}

function watchTimeline(conversation) {
  if (timeline.conversation === conversation && timeline.source) return;
  if (timeline.source) timeline.source.close();
  timeline.conversation = conversation;
  timeline.searches.clear();
  $("searches").replaceChildren();
  const source = new EventSource(`/api/events?conversation=${encodeURIComponent(conversation)}`);
  timeline.source = source;
  const on = (name, handler) => source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  source.addEventListener("open", () => timelineStatus(""));
  source.addEventListener("error", () => {
    // EventSource reconnects by itself after a dropped stream; it gives up only when the console refuses it.
    if (source.readyState === EventSource.CLOSED) {
      timelineStatus("The timeline stopped: the console does not know this conversation (restarted?). Start a new conversation.");
    } else {
      timelineStatus("The timeline lost the local stack: reconnecting… (is `make serve` still running?)");
    }
  });
  on("watching", (data) => {
    if (!data.searches && !timeline.searches.size) timelineStatus("No search yet: ask for a car and the search shows here.");
  });
  on("search-started", searchStarted);
  on("supplier", supplierAnswered);
  on("turn", turnMarked);
  on("partial", (data) => searchStatus(data, `partial: ${data.offers} offers from ${data.answered} of ${data.of} companies so far`, false));
  for (const end of ["complete", "failed", "cancelled"]) {
    on(end, (data) => searchStatus(data, `${end}: ${data.offers} offers${data.at_ms === null ? "" : `, last answer at ${seconds(data.at_ms)}`}`, true));
  }
  on("gone", (data) => searchStatus(data, `no longer known to the search API: ${data.message}`, true));
  on("forgotten", (data) => { timelineStatus(data.message); source.close(); });
}

function searchStarted(data) {
  timelineStatus("");
  const rows = el("ol", { class: "companies" });
  const status = el("p", { class: "search-status" }, "searching…");
  const started = new Date(data.started_at).toLocaleTimeString();
  const view = el("article", { class: "search", "data-search": data.search, "aria-label": `search ${data.search}` },
    el("h3", {}, `Search ${data.search}: ${data.city}, ${data.pickup_date} → ${data.return_date}`),
    el("p", { class: "started" }, data.resumed
      ? `202 at ${started}, before this conversation: the skill resumed it at turn ${data.turn}: “${data.said}”`
      : `202 at ${started}, turn ${data.turn}: “${data.said}”`), status, rows);
  const search = { view, rows, status, companies: new Map(), turns: [] };
  for (const company of data.suppliers) {
    const bar = el("span", { class: "bar" });
    const expected = company.expected_in_s === null ? "" : ` (usually ${company.expected_in_s.toFixed(1)} s)`;
    const row = el("li", { class: "company", "data-code": company.code, "data-status": "searching" },
      el("span", { class: "name" }, company.name), el("span", { class: "track" }, bar),
      el("span", { class: "when" }, "…"), el("span", { class: "what" }, `searching${expected}`));
    search.companies.set(company.code, { row, bar, at: null });
    rows.append(row);
  }
  timeline.searches.set(data.search, search);
  $("searches").prepend(view);
  timelineSay(`Search ${data.search} started: ${data.city}, ${data.suppliers.length} companies.`);
}

function supplierAnswered(data) {
  const search = timeline.searches.get(data.search);
  const company = search && search.companies.get(data.code);
  if (!company) return;
  company.at = data.at_ms;
  company.row.setAttribute("data-status", data.status);
  company.row.querySelector(".when").textContent = data.at_ms === null ? "–" : seconds(data.at_ms);
  let what = data.status === "complete" ? `${data.offers} offers` : data.status;
  if (data.error) what += `: ${data.error}`;
  if (data.quote_cache) what += " · quote cache";
  company.row.querySelector(".what").textContent = what;
  arrange(search);
}

// A later turn of the dialog, placed among the companies' answers: the questions Alexa asked while they searched.
function turnMarked(data) {
  const search = timeline.searches.get(data.search);
  if (!search) return;
  const tick = el("span", { class: "tick" });
  const row = el("li", { class: "turn-mark", "data-turn": data.turn },
    el("span", { class: "name" }, `turn ${data.turn}`), el("span", { class: "track" }, tick),
    el("span", { class: "when" }, seconds(data.at_ms)), el("span", { class: "what" }, `you: “${data.said}”`));
  search.turns.push({ row, bar: tick, at: data.at_ms, tick: true });
  arrange(search);
}

// Rows in the order things happened (answers and turns), bars and ticks to the scale of the latest so far; the
// companies still searching last.
function arrange(search) {
  const placed = [...search.companies.values(), ...search.turns].filter((c) => c.at !== null);
  const longest = Math.max(1000, ...placed.map((c) => c.at));
  for (const c of placed) {
    const share = `${Math.max(1, (100 * c.at) / longest)}%`;
    if (c.tick) c.bar.style.left = share; else c.bar.style.width = share;
  }
  placed.sort((a, b) => a.at - b.at);
  const waiting = [...search.companies.values()].filter((c) => c.at === null);
  search.rows.append(...placed.map((c) => c.row), ...waiting.map((c) => c.row));
}

function searchStatus(data, text, over) {
  const search = timeline.searches.get(data.search);
  if (!search) return;
  search.status.textContent = text;
  if (over) search.view.setAttribute("data-over", "true");
  timelineSay(`Search ${data.search} ${text}.`);
}

// A browser client of the search backend, as a page of one's own would be: sign in, start a search on the HTTP API
// with the access token (CORS: this page is another origin), follow it over the WebSocket, read the offers.
// Everything from the APIs goes in the page as text (textContent). The tokens are never shown.
"use strict";

const $ = (id) => document.getElementById(id);
let started = 0;

function say(list, text, kind) {
  const item = document.createElement("li");
  if (kind) item.className = kind;
  item.textContent = text;
  $(list).append(item);
}

function wire(text) {
  const at = started ? `${((performance.now() - started) / 1000).toFixed(2)} s  ` : "";
  say("wire", at + text);
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function call(url, options) {
  let answer;
  try {
    answer = await fetch(url, options);
  } catch (error) {
    // What a refused preflight or CORS answer looks like to a page: a network error, with the reason in the console.
    throw new Error(`the browser refused or could not reach ${url} (an origin the API does not allow, or the stack is stopped): ${error.message}`);
  }
  const body = await answer.json().catch(() => null);
  return { status: answer.status, body };
}

function describe(event) {
  const data = event.data || {};
  switch (event.type) {
    case "subscribed":  // the subscribe's own answer: pushes sent meanwhile may come before it
      return `subscribed: ${data.answered.length} of ${data.of} companies had answered when it was read`;
    case "supplier.answered":
      return data.state === "complete"
        ? `supplier.answered: ${data.supplierName}, ${data.offerCount} offers (${data.answered} of ${data.of})`
        : `supplier.answered: ${data.supplierName} failed: ${data.error} (${data.answered} of ${data.of})`;
    case "search.completed":
    case "search.failed":
    case "search.cancelled":
      return `${event.type}: ${data.suppliers.complete} of ${data.suppliers.total} companies answered, ${data.offerCount} offers`;
    default:
      return `${event.type}: ${data.message || ""}`;
  }
}

const companies = new Map();

function heardFrom(company) {
  if (companies.has(company.supplier)) return;
  const text = company.state === "complete" ? `${company.supplierName}: answered` : `${company.supplierName}: failed (${company.error})`;
  companies.set(company.supplier, text);
  say("companies", text);
}

function follow(websocket, accessToken, searchToken) {
  return new Promise((resolve, reject) => {
    socket = new WebSocket(`${websocket}?token=${encodeURIComponent(accessToken)}`);
    socket.addEventListener("open", () => {
      wire("WebSocket open; subscribe");
      socket.send(JSON.stringify({ action: "subscribe", token: searchToken }));
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      wire(describe(event));
      // A company that answered before the subscribe comes in `subscribed.answered`, and may come again: one each.
      const heard = event.type === "subscribed" ? event.data.answered : event.type === "supplier.answered" ? [event.data] : [];
      for (const company of heard) heardFrom(company);
      const over = ["complete", "failed", "cancelled"];
      if (event.type.startsWith("search.") || (event.type === "subscribed" && over.includes(event.data.status))) {
        socket.close();
        resolve();
      } else if (event.type === "error") {
        socket.close();
        reject(new Error(event.data.message));
      }
    });
    socket.addEventListener("close", (closed) => reject(new Error(`the WebSocket closed (${closed.code}) before the search ended`)));
  });
}

let socket = null;  // the running search's: one search at a time

async function search(event) {
  event.preventDefault();
  const button = $("search").querySelector("button[type=submit]");
  if (button.disabled) return;
  button.disabled = true;
  if (socket) socket.close();
  showError("");
  $("wire").replaceChildren();
  $("offers").replaceChildren();
  $("companies").replaceChildren();
  companies.clear();
  started = performance.now();
  try {
    const info = (await call("/api/info")).body;
    const api = info.browser_api;
    const signIn = await call(`${api}/local/token`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: $("user").value }),
    });
    if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${signIn.body && signIn.body.message}`);
    wire(`POST /local/token: ${signIn.status}, an access token for ${$("user").value} (not shown)`);
    const bearer = { authorization: `Bearer ${signIn.body.access_token}` };
    const trip = { city: $("city").value, pickupDate: $("pickup").value, returnDate: $("return").value };
    const start = await call(`${api}/search`, {
      method: "POST", headers: { ...bearer, "content-type": "application/json" }, body: JSON.stringify(trip),
    });
    if (start.status !== 202) {
      const problem = start.body && (start.body.errors || []).map((e) => e.message).join(" ");
      const said = `POST /search: ${start.status} ${problem || (start.body && start.body.message) || ""}`;
      wire(said);
      throw new Error(said);
    }
    wire(`POST /search: 202, searching ${start.body.search.city} with ${start.body.search.suppliers.length} companies`);
    await follow(info.websocket, signIn.body.access_token, start.body.token);
    const results = await call(`${api}/search?Limit=3`, { headers: { ...bearer, "search-token": start.body.token } });
    if (results.status !== 200) {  // the search expired meanwhile, say: its own words, not a script error
      const said = `GET /search?Limit=3: ${results.status} ${(results.body && results.body.message) || ""}`;
      wire(said);
      throw new Error(said);
    }
    wire(`GET /search?Limit=3: ${results.status}, ${results.body.offerCount} offers in all`);
    for (const offer of results.body.offers) {
      const where = offer.location ? ` at ${offer.location.name}` : "";
      say("offers", `${offer.supplierName}: ${offer.carClassName}, ${offer.exampleModel}, ${offer.totalPrice} ${offer.currency} for ${offer.days} days (${offer.dailyRate} a day)${where}`);
    }
  } catch (error) {
    showError(error.message);
  } finally {
    button.disabled = false;
  }
}

async function init() {
  try {
    const info = (await call("/api/info")).body;
    const day = (offset) => {
      const date = new Date(`${info.today}T12:00:00Z`);
      date.setUTCDate(date.getUTCDate() + offset);
      return date.toISOString().slice(0, 10);
    };
    $("pickup").value = day(7);
    $("return").value = day(9);
    $("pickup").min = $("return").min = day(0);  // the stack's today: the API refuses a past day anyway
    $("apis").textContent = `HTTP API ${info.browser_api}  ·  WebSocket ${info.websocket}`;
  } catch (error) {
    showError(`The local stack does not answer: is \`make serve\` (or \`make chat\`) still running? ${error.message}`);
  }
  $("search").addEventListener("submit", search);
  $("search").addEventListener("invalid", () => showError(""), true);  // the browser's own message says what is missing
}

init();

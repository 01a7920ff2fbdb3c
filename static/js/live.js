/* Puente live client, on top of htmx's ws extension (hx-ws-2.js).
 *
 * The extension connects, reconnects and swaps HTML by id. This file adds what the live
 * layer promises (shared/REALTIME.md):
 * - a socket wrapper (htmx.createWebSocket) with a heartbeat: a connection that goes silent
 *   is treated as dropped, and any close that is not a deliberate 4xxx end reconnects;
 * - JSON frames from the server: {seq, html} fragments, {ack}, {error}, {pong}, {end};
 * - an outbox in localStorage: what a participant sends stays "pendiente" until the server
 *   acknowledges its key, and is resent after every reconnect;
 * - timers that count down locally from the server's remaining time.
 * No inline scripts, no eval (the page's CSP forbids both).
 */
(function () {
  "use strict";

  var HEARTBEAT_MS = 10000;
  var SILENT_MS = 25000;
  var current = null; // the LiveSocket in use
  var lastSeq = null;
  // Seconds: the age of the last fragment received (see handleFrame); the page's own comes
  // from the server's last render too (data-age), so a running timer starts right.
  var frameAge = parseFloat((document.querySelector("[data-live]") || { dataset: {} }).dataset.age) || 0;

  htmx.config.wsReconnectDelay = function (retryCount) {
    var base = Math.min(1000 * Math.pow(2, retryCount), 8000);
    return base / 2 + Math.random() * base / 2;
  };

  function root() {
    return document.querySelector("[data-live]");
  }

  function setStatus(state) {
    var el = document.getElementById("conn");
    if (!el) return;
    el.dataset.state = state;
    var label = el.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
    el.textContent = label === undefined ? state : label; // an empty label hides the badge
  }

  /* A WebSocket look-alike the extension drives. */
  function LiveSocket(url) {
    var self = this;
    this.CONNECTING = 0; this.OPEN = 1; this.CLOSING = 2; this.CLOSED = 3;
    this.readyState = 0;
    this.listeners = {};
    this.finished = false;
    this.lastSeen = Date.now();
    setStatus("connecting");
    var ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = function (event) {
      self.readyState = 1;
      self.lastSeen = Date.now();
      current = self;
      lastSeq = null;
      setStatus("online");
      self.timer = setInterval(function () { self.beat(); }, HEARTBEAT_MS);
      if (self.onopen) self.onopen(event);
      flushOutbox();
    };
    ws.onmessage = function (event) {
      self.lastSeen = Date.now();
      handleFrame(self, event.data);
    };
    ws.onclose = function (event) {
      var deliberate = event.code >= 4000 && event.code < 5000;
      self.finish(deliberate ? event.code : 1006);
    };
    // Not passed on to the extension: a failed connect is followed by a close, which
    // reconnects; the extension would only log the bare Event as a console error.
    ws.onerror = function () {};
  }
  LiveSocket.prototype.addEventListener = function (type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  };
  LiveSocket.prototype.emit = function (type, event) {
    (this.listeners[type] || []).forEach(function (fn) { fn(event); });
  };
  LiveSocket.prototype.send = function (data) {
    if (this.readyState === 1) this.ws.send(data);
  };
  LiveSocket.prototype.close = function () {
    // The extension closes when its element leaves the page: no reconnect then.
    try { this.ws.close(1000); } catch (e) { /* already closed */ }
    this.finish(1000);
  };
  LiveSocket.prototype.beat = function () {
    if (Date.now() - this.lastSeen > SILENT_MS) {
      // Silent without closing (a dead Wi-Fi, a phone that slept): drop it and reconnect.
      try { this.ws.close(); } catch (e) { /* ignore */ }
      this.finish(1006);
      return;
    }
    this.send(JSON.stringify({ type: "ping", t: Date.now() }));
    // The control room's presence counts decay by time-to-live, without any broadcast:
    // refresh its snapshot every third beat (30 s).
    var el = root();
    this.beats = (this.beats || 0) + 1;
    if (el && el.dataset.live.indexOf("room-") === 0 && this.beats % 3 === 0) {
      this.send(JSON.stringify({ type: "snapshot" }));
    }
  };
  LiveSocket.prototype.probe = function () {
    // After the screen wakes up: an answer within 5 s, or the socket is treated as dead.
    var self = this;
    var asked = Date.now();
    this.send(JSON.stringify({ type: "ping", t: asked }));
    window.setTimeout(function () {
      if (!self.finished && self.lastSeen < asked) {
        try { self.ws.close(); } catch (e) { /* ignore */ }
        self.finish(1006);
      }
    }, 5000);
  };
  LiveSocket.prototype.finish = function (code) {
    if (this.finished) return;
    this.finished = true;
    this.readyState = 3;
    clearInterval(this.timer);
    if (current === this) current = null;
    if (code === 4009) {
      setStatus("elsewhere"); // the same person opened it in another tab: no reconnect
    } else if (code >= 4000) {
      setStatus("ended");
    } else if (code !== 1000) {
      setStatus("offline");
    }
    if (this.onclose) this.onclose({ code: code });
  };

  htmx.createWebSocket = function (url) {
    return new LiveSocket(url);
  };

  /* The control room's buttons post with htmx. While the room's socket is open, the
   * broadcast that follows the action brings the new room, so the server can answer 204
   * instead of rendering the room a second time; refusals still come back as HTML. */
  document.addEventListener("htmx:configRequest", function (event) {
    var el = root();
    if (current && current.readyState === 1 && el && el.dataset.live.indexOf("room-") === 0) {
      event.detail.headers["X-Puente-Live"] = "1";
    }
  });

  function handleFrame(socket, text) {
    var frame;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      return;
    }
    if (frame.pong !== undefined) return;
    if (frame.ack) {
      acknowledge(frame.ack, frame.ok, frame.error);
      return;
    }
    if (frame.error) {
      showNotice(frame.error);
      return;
    }
    if (frame.end) {
      setStatus("ended");
      window.setTimeout(function () { window.location.reload(); }, 300);
      return;
    }
    if (frame.html) {
      if (typeof frame.seq === "number") {
        if (lastSeq !== null && frame.seq < lastSeq) return; // stale: a newer one was shown
        // A skipped number is not a loss: every frame is a whole fragment and the server
        // coalesces changes close together; the server's heartbeat catch-up sends a
        // snapshot if a broadcast never arrived.
        lastSeq = frame.seq;
        // A snapshot the server rendered earlier says how old it is: a running timer in it
        // starts that many seconds further on. (Personal frames carry no timer.)
        frameAge = typeof frame.age === "number" ? frame.age : 0;
      }
      socket.emit("message", { data: frame.html });
    }
  }

  function showNotice(message) {
    var el = document.getElementById("notice");
    if (!el) return;
    el.textContent = message;
    // Never over what the person is typing: the field in focus (often low on a phone, above
    // the keyboard) decides whether the notice sits at the top or the bottom.
    var field = document.activeElement;
    var typing = field && /^(TEXTAREA|INPUT|SELECT)$/.test(field.tagName);
    var low = typing && field.getBoundingClientRect().bottom > window.innerHeight / 2;
    el.classList.toggle("notice-top", Boolean(low));
    el.hidden = false;
    window.clearTimeout(showNotice.timer);
    showNotice.timer = window.setTimeout(function () { el.hidden = true; }, 6000);
  }

  /* --- outbox -------------------------------------------------------------------------- */

  function storageKey(name) {
    var el = root();
    return "puente:" + (el ? el.dataset.live : "") + ":" + name;
  }
  function load(name) {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey(name))) || [];
    } catch (e) {
      return [];
    }
  }
  function save(name, value) {
    try {
      window.localStorage.setItem(storageKey(name), JSON.stringify(value));
    } catch (e) { /* storage full or disabled: the in-page list still works */ }
  }

  function newKey() {
    var el = root();
    var counterKey = storageKey("counter");
    var n = parseInt(window.localStorage.getItem(counterKey) || "0", 10) + 1;
    window.localStorage.setItem(counterKey, String(n));
    return el.dataset.nonce + "." + n;
  }

  function enqueue(message, label) {
    message.key = newKey();
    var outbox = load("outbox");
    outbox.push(message);
    save("outbox", outbox);
    if (label) {
      var mine = load("mine");
      mine.push({ key: message.key, text: label, state: "pending", block: message.block });
      save("mine", mine);
      renderMine();
    }
    if (current) current.send(JSON.stringify(message));
    return message.key;
  }

  function flushOutbox() {
    if (!current) return;
    load("outbox").forEach(function (message) {
      current.send(JSON.stringify(message));
    });
  }

  function acknowledge(key, ok, error) {
    save("outbox", load("outbox").filter(function (m) { return m.key !== key; }));
    var mine = load("mine");
    mine.forEach(function (item) {
      if (item.key === key) {
        item.state = ok ? "sent" : "failed";
        item.error = ok ? "" : error;
      }
    });
    save("mine", mine);
    renderMine();
    // A refused answer shows its form again.
    syncConsent();
    syncCommitment();
    syncDiagnosis();
    if (!ok && error) showNotice(error);
  }

  function renderMine() {
    var list = document.getElementById("mine");
    if (!list) return;
    var labels = list.dataset;
    var stage = document.getElementById("stage");
    var block = stage ? stage.dataset.block : "";
    list.textContent = "";
    // This block's items, and whatever is not yet stored wherever it was written.
    load("mine").filter(function (item) {
      return item.state !== "sent" || String(item.block) === block;
    }).reverse().forEach(function (item) {
      var li = document.createElement("li");
      li.className = "mine-item mine-" + item.state;
      li.dataset.key = item.key;
      var text = document.createElement("span");
      text.textContent = item.text; // text, never markup
      var state = document.createElement("small");
      state.className = "mine-state";
      state.textContent = item.state === "sent" ? labels.sent
        : item.state === "failed" ? (labels.failed + ": " + (item.error || "")) : labels.pending;
      li.appendChild(text);
      li.appendChild(state);
      list.appendChild(li);
    });
  }

  /* --- participant forms --------------------------------------------------------------- */

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-outbox]")) return;
    event.preventDefault();
    var kind = form.dataset.outbox;
    var data = new FormData(form);
    if (kind === "contribute") {
      var text = String(data.get("text") || "").trim();
      if (!text) return;
      enqueue({ type: "contribute", text: text, block: data.get("block") }, text);
      form.reset();
      var count = form.querySelector("[data-count]");
      if (count) count.textContent = "0";
    } else if (kind === "emotion") {
      if (!data.get("emotion")) {
        showNotice(form.dataset.missing || "");
        return;
      }
      enqueue({
        type: "emotion", moment: data.get("moment"), emotion: data.get("emotion"),
        intensity: data.get("intensity"), word: String(data.get("word") || "").trim()
      }, null);
      var done = form.querySelector("[data-sent]");
      if (done) done.hidden = false;
    } else if (kind === "consent") {
      var choice = event.submitter ? event.submitter.value : "";
      var reason = String(data.get("reason") || "").trim();
      if (choice === "object" && !reason) {
        form.querySelector("[name=reason]").focus();
        showNotice(form.dataset.reasonMissing || "");
        return;
      }
      enqueue({
        type: "consent", agreement: data.get("agreement"), version: data.get("version"),
        choice: choice, reason: reason, signed: choice === "object" && data.get("signed") === "1"
      }, null);
      syncConsent();
    } else if (kind === "diagnosis") {
      var answers = {};
      var missing = false;
      form.querySelectorAll("fieldset").forEach(function (set) {
        var picked = set.querySelector("input:checked");
        if (!picked) missing = true;
        else answers[picked.name] = picked.value;
      });
      if (missing) {
        showNotice(form.dataset.missing || "");
        return;
      }
      enqueue({ type: "diagnosis", answers: answers }, null);
      syncDiagnosis();
    } else if (kind === "ground_rule") {
      var rule = String(data.get("text") || "").trim();
      if (!rule) return;
      var here = document.getElementById("stage");
      // The block rides along so «Mis aportes» keeps showing it while the block lasts.
      enqueue({ type: "ground_rule", text: rule, block: here ? here.dataset.block : "" }, rule);
      form.reset();
    } else if (kind === "commitment") {
      var answer = event.submitter ? event.submitter.value : "";
      if (!answer) return;
      enqueue({
        type: "commitment", choice: answer,
        note: answer === "reserve" ? String(data.get("note") || "").trim() : ""
      }, null);
      syncCommitment();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-dot]") : null;
    if (!button) return;
    event.preventDefault();
    enqueue({
      type: "dot", action: button.dataset.dot, target: button.dataset.target
    }, null);
    button.disabled = true;
  });

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches && field.matches("textarea[data-counted]")) {
      var count = field.form.querySelector("[data-count]");
      if (count) count.textContent = String(field.value.length);
    }
  });

  /* Show the participant's forms according to the current block (in #stage). */
  function syncCompose() {
    var stage = document.getElementById("stage");
    var compose = document.getElementById("compose");
    if (!stage || !compose) return;
    // While the room votes, the phone shows the vote, not the form.
    var open = stage.dataset.contribOpen === "1" && stage.dataset.voting !== "1";
    var form = compose.querySelector("[data-outbox=contribute]");
    if (form) {
      form.hidden = !open;
      form.querySelector("[name=block]").value = stage.dataset.block || "";
      var anon = form.querySelector("[data-anonymous-note]");
      if (anon) anon.hidden = stage.dataset.anonymous !== "1";
    }
    var closed = compose.querySelector("[data-closed-note]");
    if (closed) closed.hidden = open || stage.dataset.allowsContrib !== "1";
    var emotion = compose.querySelector("[data-outbox=emotion]");
    if (emotion) {
      var moment = stage.dataset.emotion || "";
      emotion.hidden = moment === "";
      if (moment && emotion.querySelector("[name=moment]").value !== moment) {
        emotion.reset();
        var sent = emotion.querySelector("[data-sent]");
        if (sent) sent.hidden = true;
      }
      emotion.querySelector("[name=moment]").value = moment;
      var title = emotion.querySelector("[data-moment-title]");
      // The block's question is the screen's one prompt; the picker is then only labelled.
      if (title) {
        title.textContent = !moment ? "" : (stage.dataset.hasQuestion === "1"
          ? title.dataset.label : title.dataset[moment]);
      }
    }
    // Nothing to write in this block (opening, a break): no empty box on the phone.
    compose.hidden = stage.dataset.voting === "1"
      || (!open && stage.dataset.allowsContrib !== "1" && !stage.dataset.emotion);
  }

  /* The consent form follows the agreement on the stage (#agreement-now): hidden once this
     phone answered the version shown (#me) or while its answer waits in the outbox. */
  function syncConsent() {
    var now = document.getElementById("agreement-now");
    var form = document.getElementById("consent-form");
    var done = document.getElementById("consent-done");
    if (!now || !form || !done) return;
    var id = now.dataset.agreement || "";
    var version = now.dataset.version || "";
    if (!id) {
      form.hidden = true;
      done.hidden = true;
      return;
    }
    if (form.elements.agreement.value !== id || form.elements.version.value !== version) {
      form.reset(); // a new agreement or a new wording: answer afresh
      form.elements.agreement.value = id;
      form.elements.version.value = version;
    }
    var me = document.getElementById("me");
    var answer = "";
    (me && me.dataset.consents ? me.dataset.consents.split(",") : []).forEach(function (item) {
      var parts = item.split(":");
      if (parts[0] === id && parts[1] === version) answer = parts[2];
    });
    var pending = load("outbox").some(function (m) {
      return m.type === "consent" && String(m.agreement) === id && String(m.version) === version;
    });
    if (answer) {
      done.textContent = done.dataset.answered + " " + (done.dataset[answer] || answer);
    } else if (pending) {
      done.textContent = done.dataset.pending;
    }
    form.hidden = Boolean(answer || pending);
    done.hidden = !(answer || pending);
  }

  /* The principles: shown with their question in the principles block, and to whoever
     arrives later without having answered; the answer itself is kept without a name. */
  function syncCommitment() {
    var stage = document.getElementById("stage");
    var section = document.getElementById("commitment");
    var form = document.getElementById("commitment-form");
    var done = document.getElementById("commitment-done");
    var me = document.getElementById("me");
    if (!stage || !section || !form || !done) return;
    var moment = stage.dataset.principles || "";
    var answered = Boolean(me && me.dataset.committed === "1");
    var pending = load("outbox").some(function (m) { return m.type === "commitment"; });
    section.hidden = !(moment === "current" || (moment === "past" && !answered));
    form.hidden = answered || pending;
    done.hidden = !(answered || pending);
    done.textContent = answered ? done.dataset.done : done.dataset.pending;
    var rules = document.getElementById("ground-rule-form");
    if (rules) rules.hidden = moment !== "current";
  }

  /* The diagnosis: asked in its block, once; the answers go without a name. */
  function syncDiagnosis() {
    var stage = document.getElementById("stage");
    var section = document.getElementById("diagnosis");
    var form = document.getElementById("diagnosis-form");
    var done = document.getElementById("diagnosis-done");
    var me = document.getElementById("me");
    if (!stage || !section || !form || !done) return;
    var answered = Boolean(me && me.dataset.diagnosed === "1");
    var pending = load("outbox").some(function (m) { return m.type === "diagnosis"; });
    section.hidden = stage.dataset.diagnosis !== "1";
    form.hidden = answered || pending;
    done.hidden = !(answered || pending);
    done.textContent = answered ? done.dataset.done : done.dataset.pending;
  }

  /* Show this participant's dots next to each card and theme (from #me: "c12:2,t5:1"). */
  function syncDots() {
    var me = document.getElementById("me");
    var mine = {};
    (me && me.dataset.myDots ? me.dataset.myDots.split(",") : []).forEach(function (pair) {
      var parts = pair.split(":");
      mine[parts[0]] = parts[1];
    });
    document.querySelectorAll("[data-dot-count]").forEach(function (el) {
      el.textContent = mine[el.dataset.dotCount] || "0";
    });
    document.querySelectorAll("[data-dot]").forEach(function (button) {
      button.disabled = button.dataset.dot === "remove" && !mine[button.dataset.target];
    });
    // A dot given to a card before it went into a theme can still be taken back.
    document.querySelectorAll("[data-only-mine]").forEach(function (button) {
      button.hidden = !mine[button.dataset.target];
    });
    // Dots left in this block: its dots minus all of mine in it when #me speaks of this
    // block; otherwise (#me not yet refreshed after a block change) mine on this wall.
    var left = document.querySelector("[data-dots-left]");
    if (left) {
      var used = 0;
      if (me && me.dataset.myDotsBlock && me.dataset.myDotsBlock === left.dataset.block) {
        Object.keys(mine).forEach(function (target) { used += parseInt(mine[target], 10) || 0; });
      } else {
        document.querySelectorAll("[data-dot-count]").forEach(function (el) {
          used += parseInt(mine[el.dataset.dotCount] || "0", 10);
        });
      }
      var n = Math.max(0, parseInt(left.dataset.dotsLeft, 10) - used);
      left.textContent = n === 1 ? left.dataset.one : left.dataset.other.replace("{n}", String(n));
      document.querySelectorAll("[data-dot=add]").forEach(function (button) {
        button.disabled = n === 0;
      });
    }
  }

  /* --- timers -------------------------------------------------------------------------- */

  function remainingOf(el) {
    if (!el.dataset.receivedAt) el.dataset.receivedAt = String(Date.now() - frameAge * 1000);
    var remaining = parseFloat(el.dataset.remaining || "0");
    if (el.dataset.running === "1") {
      remaining -= (Date.now() - parseFloat(el.dataset.receivedAt)) / 1000;
    }
    return remaining;
  }

  function tick() {
    document.querySelectorAll("[data-timer]").forEach(function (el) {
      var remaining = remainingOf(el);
      var seconds = Math.round(Math.abs(remaining));
      var text = (remaining < 0 ? "-" : "") + String(Math.floor(seconds / 60)).padStart(2, "0")
        + ":" + String(seconds % 60).padStart(2, "0");
      el.textContent = text;
      el.classList.toggle("overdue", remaining < 0);
    });
    // The control room's guide: the current step follows the block's timer.
    document.querySelectorAll("[data-steps]").forEach(function (list) {
      var timer = document.querySelector("#room [data-timer]");
      if (!timer) return;
      var elapsed = parseFloat(list.dataset.total || "0") - remainingOf(timer);
      var items = Array.prototype.slice.call(list.querySelectorAll("[data-end]"));
      var chosen = items.filter(function (li) { return elapsed < parseFloat(li.dataset.end); })[0]
        || items[items.length - 1];
      items.forEach(function (li) {
        li.classList.toggle("is-current", li === chosen);
        if (li === chosen) li.setAttribute("aria-current", "step");
        else li.removeAttribute("aria-current");
      });
    });
  }

  // Sections the facilitator opened stay open when a broadcast replaces the room.
  // Only a person's own clicks count: a section the server renders open (or closed)
  // follows the server until someone opens or closes it by hand.
  var keptOpen = {};
  document.addEventListener("click", function (event) {
    var summary = event.target.closest ? event.target.closest("summary") : null;
    var el = summary ? summary.parentElement : null;
    if (el && el.matches("details[data-keep-open]") && el.id) keptOpen[el.id] = !el.open;
  });
  function restoreOpen() {
    document.querySelectorAll("details[data-keep-open]").forEach(function (el) {
      if (Object.prototype.hasOwnProperty.call(keptOpen, el.id)) el.open = keptOpen[el.id];
    });
  }

  // A room or projector whose fragment says the session ended reloads into its closing
  // page, even if the deliberate end frame was lost (the layer delivers at most once).
  function followTheEnd() {
    if (document.querySelector("[data-session-ended]") && document.querySelector("[ws-connect]")
        && !followTheEnd.done) {
      followTheEnd.done = true;
      window.setTimeout(function () { window.location.reload(); }, 300);
    }
  }

  /* --- the projector's wall: always whole on the screen ---------------------------------
   * Type and columns shrink together down to a size still legible from the back of a room
   * (0.64 of the normal one); if the wall still does not fit, a ranked wall (the reveal)
   * shows its top cards and «+ N más», and any other wall pages itself every PAGE_MS. */
  var PAGE_MS = 12000;
  var SCALES = [1, 0.9, 0.8, 0.72, 0.64];
  var pageTimer = null;
  var page = 0;

  function fitWall() {
    if (pageTimer) { clearInterval(pageTimer); pageTimer = null; }
    var wall = document.querySelector("#screen [data-fit]");
    var screen = document.getElementById("screen");
    var pager = document.querySelector("#screen [data-pager]");
    if (!wall || !screen) return;
    wall.querySelectorAll(".screen-more").forEach(function (li) { li.remove(); });
    var items = Array.prototype.slice.call(wall.children);
    items.forEach(function (li) { li.hidden = false; });
    if (pager) pager.hidden = true;
    var limit = window.innerHeight - 12;
    var fits = function () { return wall.getBoundingClientRect().bottom <= limit; };
    for (var i = 0; i < SCALES.length; i += 1) {
      screen.style.setProperty("--wall-scale", String(SCALES[i]));
      if (fits()) return;
    }
    if (items.length < 2) return;
    if (wall.classList.contains("is-results")) {
      var more = document.createElement("li");
      more.className = "screen-card screen-more";
      wall.appendChild(more);
      var shown = items.length;
      while (shown > 1 && !fits()) {
        shown -= 1;
        items[shown].hidden = true;
        more.textContent = wall.dataset.more.replace("{n}", String(items.length - shown));
      }
      return;
    }
    var pages = [];
    var current = [];
    items.forEach(function (li) { li.hidden = true; });
    items.forEach(function (li) {
      li.hidden = false;
      current.push(li);
      if (current.length > 1 && !fits()) {
        current.pop();
        current.forEach(function (shownItem) { shownItem.hidden = true; });
        pages.push(current);
        current = [li];
      }
    });
    if (current.length) pages.push(current);
    var show = function (k) {
      items.forEach(function (li) { li.hidden = true; });
      pages[k].forEach(function (li) { li.hidden = false; });
      if (pager) {
        pager.hidden = false;
        pager.textContent = pager.dataset.label.replace("{page}", String(k + 1))
          .replace("{pages}", String(pages.length));
      }
    };
    page = page % pages.length;
    show(page);
    pageTimer = setInterval(function () {
      page = (page + 1) % pages.length;
      show(page);
    }, PAGE_MS);
  }
  // The control room's keyboard shortcuts (→ next block, ← previous, Space the timer): a
  // key names a button ([data-shortcut]) in the room; never while typing, never with a
  // modifier, never twice for a held key, and Space never takes over a focused control.
  document.addEventListener("keydown", function (event) {
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (event.key === " " && target && target.closest && target.closest("button, a, summary")) return;
    if (document.querySelector("dialog[open]") || !document.getElementById("room")) return;
    var button = Array.prototype.filter.call(
      document.querySelectorAll("#room [data-shortcut]"),
      function (el) { return el.dataset.shortcut === event.key; }
    )[0];
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  window.addEventListener("resize", fitWall);
  document.addEventListener("fullscreenchange", fitWall);
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-fullscreen]") : null;
    if (button && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () { /* refused: stay */ });
    }
  });

  /* An owner's private link on their phone: shown whole, copied on a tap, and the server
   * told once that this phone showed it (the control room then knows the link arrived). */
  var linksSeen = null; // kept in memory too: storage may be full or blocked
  function syncOwnerLinks() {
    try {
      if (linksSeen === null) linksSeen = load("links-seen");
      document.querySelectorAll("[data-owner-link]").forEach(function (link) {
        var path = link.getAttribute("href");
        var url = window.location.origin + path;
        if (link.textContent !== url) link.textContent = url;
        if (linksSeen.indexOf(url) === -1) {
          linksSeen.push(url);
          save("links-seen", linksSeen);
          var token = path.split("/").filter(Boolean).pop();
          enqueue({ type: "link_seen", agreement: link.dataset.agreement, token: token }, null);
        }
      });
    } catch (e) { /* the link stays on screen; the room just does not learn it arrived */ }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-link]") : null;
    if (!button) return;
    var link = button.parentElement.querySelector("[data-owner-link]");
    if (!link) return;
    var done = function () { button.textContent = button.dataset.copied || button.textContent; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link.textContent).then(done, function () { selectText(link); });
    } else {
      selectText(link); // plain http on the venue's network: the phone's own copy menu
    }
  });
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function syncAll() {
    followTheEnd();
    syncOwnerLinks();
    syncCompose();
    syncConsent();
    syncCommitment();
    syncDiagnosis();
    renderMine();
    syncDots();
    restoreOpen();
    tick();
    fitWall();
  }
  document.addEventListener("htmx:afterSettle", syncAll);
  document.addEventListener("htmx:oobAfterSwap", syncAll);
  document.addEventListener("visibilitychange", function () {
    // A phone back from the lock screen checks its socket at once.
    if (document.visibilityState === "visible" && current) current.probe();
  });
  // The browser knows at once when the network goes: say so at once (the heartbeat would
  // take up to half a minute), and let the socket's close bring the usual reconnecting.
  window.addEventListener("offline", function () {
    setStatus("offline");
    if (current) {
      var socket = current;
      try { socket.ws.close(); } catch (e) { /* ignore */ }
      socket.finish(1006);
    }
  });
  window.addEventListener("online", function () {
    if (current) current.probe();
  });
  document.addEventListener("DOMContentLoaded", function () {
    syncAll();
    window.setInterval(tick, 1000);
  });
})();

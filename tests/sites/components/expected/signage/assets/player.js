// omnipub signage player: shows a screen's playlist forever.
// Each slide's schedule is evaluated against this screen's own clock in the store's time
// zone, so content built once appears and disappears at the right moments. The playlist
// lists every slide with a content version; a playlist with any changed slide is taken at
// the next slide boundary, where a new loop starts, so one loop never mixes old and new.
// Every address is relative to the document using it: the player plays from a domain root,
// a sub-path and file:// (it carries its playlist for the last). A service worker keeps
// the screen's playlist, slides and images for playing offline. With nothing on the air it
// shows the idle slide: the brand, the store and a clock.
(function () {
  "use strict";
  const DAY = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
  const IDLE_RECHECK = 5; // seconds between looks for something to show while idle
  const LOAD_TIMEOUT = 3000; // never wait forever for a slide
  const body = document.body;
  // the schedule rules, for the screen and for tests
  window.omnipubSchedule = { onAir: (slide, now) => onAir(slide, now) };
  if (!body || !body.dataset.playlist) return;
  const playlistUrl = new URL(body.dataset.playlist, location.href).href;
  const params = new URLSearchParams(location.search);
  const pollSeconds = Number(params.get("poll") || body.dataset.poll || 60);
  const frames = [document.getElementById("a"), document.getElementById("b")];
  const idle = document.getElementById("idle");
  const state = {
    playlist: null, // what plays now
    pending: null, // a newer playlist, taken at the next slide boundary
    version: null, // the playlist's text, to notice changes
    index: -1,
    front: 0,
    current: null, // the slide on screen ("idle" when idle)
    currentVersion: null,
    shown: [],
    count: 0,
    loops: 0, // playlists taken (the first one included)
    idle: false,
    offline: null, // the playlist version the service worker holds for offline play
    timer: null,
  };
  window.omnipubPlayer = state;

  function localParts(date, zone) {
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(date);
    const get = (type) => (parts.find((p) => p.type === type) || {}).value;
    const weekday = get("weekday").toLowerCase().slice(0, 3);
    return { day: weekday, minutes: Number(get("hour")) * 60 + Number(get("minute")) };
  }

  function toMinutes(text) {
    const [h, m] = text.split(":").map(Number);
    return h * 60 + m;
  }

  function onAir(slide, now) {
    const s = slide.schedule || {};
    if (s.from && now < new Date(s.from)) return false;
    if (s.until && now >= new Date(s.until)) return false;
    const local = localParts(now, s.timezone || "UTC");
    if (s.hours) {
      const [start, end] = s.hours.split("-").map(toMinutes);
      const inside = start <= end
        ? local.minutes >= start && local.minutes < end
        : local.minutes >= start || local.minutes < end; // past midnight
      if (!inside) return false;
      // a window past midnight belongs to the day it started on
      if (s.days && s.days.length) {
        const dayIndex = DAY.indexOf(local.day);
        const startedYesterday = start > end && local.minutes < end;
        const day = startedYesterday ? DAY[(dayIndex + 6) % 7] : local.day;
        if (!s.days.includes(day)) return false;
      }
    } else if (s.days && s.days.length && !s.days.includes(local.day)) {
      return false;
    }
    return true;
  }

  // --- the playlist -------------------------------------------------------------------------

  function take(text) {
    if (text === state.version) return;
    const playlist = JSON.parse(text);
    state.version = text;
    if (!state.playlist) {
      state.playlist = playlist;
      state.loops = 1;
    } else {
      state.pending = playlist;
      preloadNext();
    }
    keepOffline(playlist, text);
  }

  function embedded() {
    const script = document.getElementById("playlist");
    if (!script) return;
    try { take(JSON.stringify(JSON.parse(script.textContent))); } catch (error) { /* fetch it */ }
  }

  async function fetchPlaylist() {
    try {
      const response = await fetch(playlistUrl, { cache: "no-store" });
      if (!response.ok) return;
      take(JSON.stringify(await response.json()));
    } catch (error) {
      // offline, or file:// (no fetch): keep playing what we have
    }
  }

  function slideUrl(slide) {
    return new URL(slide.url, playlistUrl).href;
  }

  // --- offline ------------------------------------------------------------------------------

  async function keepOffline(playlist, text) {
    if (!("serviceWorker" in navigator) || location.protocol === "file:") return;
    try {
      const registration = await navigator.serviceWorker.ready;
      const worker = registration.active;
      if (!worker) return;
      const urls = new Set([location.href, playlistUrl]);
      const script = document.querySelector("script[src]");
      if (script) urls.add(script.src);
      for (const slide of playlist.slides) {
        urls.add(slideUrl(slide));
        for (const asset of slide.assets || []) urls.add(new URL(asset, playlistUrl).href);
      }
      const channel = new MessageChannel();
      const done = new Promise((resolve) => { channel.port1.onmessage = () => resolve(); });
      worker.postMessage({ type: "precache", cache: playlistUrl, urls: [...urls] },
        [channel.port2]);
      await done;
      if (text === state.version) state.offline = text;
    } catch (error) {
      // plain playback without offline support
    }
  }

  // --- playing ------------------------------------------------------------------------------

  function nextIndex(playlist, from, now) {
    const slides = (playlist && playlist.slides) || [];
    for (let step = 1; step <= slides.length; step += 1) {
      const index = (from + step + slides.length) % slides.length;
      if (onAir(slides[index], now)) return index;
    }
    return -1;
  }

  function load(frame, url) {
    if (frame.dataset.url === url && frame.loading) return frame.loading;
    frame.dataset.url = url;
    frame.loading = new Promise((resolve) => {
      frame.onload = () => resolve();
      setTimeout(resolve, LOAD_TIMEOUT);
    });
    frame.src = url;
    return frame.loading;
  }

  function preloadNext() {
    // what the next boundary shows: the pending playlist's first slide, if one is waiting
    const playlist = state.pending || state.playlist;
    const index = nextIndex(playlist, state.pending ? -1 : state.index, new Date());
    if (index >= 0) load(frames[1 - state.front], slideUrl(playlist.slides[index]));
  }

  function showIdle() {
    if (!state.idle) {
      state.idle = true;
      idle.hidden = false;
      frames.forEach((frame) => frame.classList.remove("on"));
    }
    state.current = "idle";
    state.currentVersion = null;
    tick();
  }

  function tick() {
    if (!state.idle) return;
    const now = new Date();
    const zone = idle.dataset.timezone;
    const locale = idle.dataset.locale || undefined;
    document.getElementById("clock").textContent = new Intl.DateTimeFormat(locale, {
      timeZone: zone, hour: "2-digit", minute: "2-digit",
    }).format(now);
    document.getElementById("date").textContent = new Intl.DateTimeFormat(locale, {
      timeZone: zone, weekday: "long", day: "numeric", month: "long",
    }).format(now);
  }

  async function advance() {
    if (state.pending) {
      state.playlist = state.pending;
      state.pending = null;
      state.index = -1;
      state.loops += 1;
    }
    const index = nextIndex(state.playlist, state.index, new Date());
    if (index < 0) { showIdle(); schedule(IDLE_RECHECK); return; }
    const playlist = state.playlist;
    const slide = playlist.slides[index];
    const back = frames[1 - state.front];
    await load(back, slideUrl(slide));
    back.classList.add("on");
    frames[state.front].classList.remove("on");
    idle.hidden = true;
    state.idle = false;
    state.front = 1 - state.front;
    state.index = index;
    state.current = slide.id;
    state.currentVersion = slide.version;
    state.shown.push(slide.id);
    state.count += 1;
    if (state.shown.length > 200) state.shown.shift();
    schedule(slide.duration);
    preloadNext();
  }

  function schedule(seconds) {
    clearTimeout(state.timer);
    state.timer = setTimeout(advance, seconds * 1000);
  }

  async function start() {
    if ("serviceWorker" in navigator && location.protocol !== "file:") {
      const worker = new URL(body.dataset.serviceWorker || "../../sw.js", location.href).href;
      navigator.serviceWorker.register(worker).catch(() => { /* no offline support */ });
    }
    embedded(); // plays at once, and from file:// where nothing can be fetched
    const fetched = fetchPlaylist(); // a newer one, if the page came from a cache
    if (!state.playlist) await fetched;
    setInterval(fetchPlaylist, pollSeconds * 1000);
    setInterval(tick, 1000);
    advance();
  }

  start();
})();

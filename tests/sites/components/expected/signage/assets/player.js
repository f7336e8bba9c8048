// omnipub signage player: shows a screen's playlist forever.
// Each slide's schedule is evaluated against this screen's own clock in the store's time
// zone, so content built once appears and disappears at the right moments; the next slide
// is loaded in the hidden frame before it is shown; a new playlist is taken at a slide
// boundary; a service worker keeps everything playable offline.
(function () {
  "use strict";
  const DAY = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
  const body = document.body;
  // the schedule rules, for the screen and for tests
  window.omnipubSchedule = { onAir: (slide, now) => onAir(slide, now) };
  if (!body || !body.dataset.playlist) return;
  const playlistUrl = new URL(body.dataset.playlist, location.href).href;
  const params = new URLSearchParams(location.search);
  const pollSeconds = Number(params.get("poll") || body.dataset.poll || 60);
  const frames = [document.getElementById("a"), document.getElementById("b")];
  const state = { playlist: null, pending: null, index: -1, current: null, shown: [], count: 0,
                  front: 0,
                  version: null, timer: null };
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

  async function fetchPlaylist() {
    try {
      const response = await fetch(playlistUrl, { cache: "no-store" });
      if (!response.ok) return;
      const text = await response.text();
      if (text === state.version) return;
      state.version = text;
      const playlist = JSON.parse(text);
      if (!state.playlist) state.playlist = playlist; else state.pending = playlist;
      precache(playlist);
    } catch (error) {
      // offline: keep playing what we have
    }
  }

  function precache(playlist) {
    const urls = playlist.slides.map((s) => new URL(s.url, playlistUrl).href);
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "precache", urls });
    }
  }

  function nextSlide() {
    const slides = (state.playlist && state.playlist.slides) || [];
    const now = new Date();
    for (let step = 1; step <= slides.length; step += 1) {
      const index = (state.index + step) % slides.length;
      if (onAir(slides[index], now)) return index;
    }
    return -1;
  }

  function load(frame, url) {
    return new Promise((resolve) => {
      if (frame.dataset.url === url) { resolve(); return; }
      frame.onload = () => resolve();
      frame.dataset.url = url;
      frame.src = url;
      setTimeout(resolve, 3000); // never wait forever for a slide
    });
  }

  async function advance() {
    if (state.pending) { state.playlist = state.pending; state.pending = null; state.index = -1; }
    const index = nextSlide();
    if (index < 0) { state.current = null; schedule(5); return; }
    const slide = state.playlist.slides[index];
    const back = frames[1 - state.front];
    await load(back, new URL(slide.url, playlistUrl).href);
    back.classList.add("on");
    frames[state.front].classList.remove("on");
    state.front = 1 - state.front;
    state.index = index;
    state.current = slide.id;
    state.shown.push(slide.id);
    state.count += 1;
    if (state.shown.length > 200) state.shown.shift();
    schedule(slide.duration);
    preloadNext();
  }

  function preloadNext() {
    const index = nextSlide();
    if (index >= 0) {
      const slide = state.playlist.slides[index];
      const back = frames[1 - state.front];
      load(back, new URL(slide.url, playlistUrl).href);
    }
  }

  function schedule(seconds) {
    clearTimeout(state.timer);
    state.timer = setTimeout(advance, seconds * 1000);
  }

  async function start() {
    if ("serviceWorker" in navigator) {
      try { await navigator.serviceWorker.register(new URL("../../sw.js", location.href).href); }
      catch (error) { /* plain playback without offline support */ }
    }
    await fetchPlaylist();
    setInterval(fetchPlaylist, pollSeconds * 1000);
    advance();
  }

  start();
})();

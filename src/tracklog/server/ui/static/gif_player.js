// A GIF clip (tracklog.Video's encoding) with a player's controls: play / pause and a frame
// slider, decoded frame by frame with WebCodecs' ImageDecoder. Where the browser has no
// ImageDecoder the GIF plays as an image, without controls.

import { api } from "./api.js";
import { errorNotice, fill, h } from "./dom.js";

// A frame without a duration (or a GIF's 0) shows this long, as browsers play them.
const DEFAULT_FRAME_MS = 100;

/** The player of the GIF file `path` of run `runId`. */
export function gifPlayer(runId, path, alt) {
  const url = api.fileUrl(runId, path);
  if (typeof ImageDecoder === "undefined") return h("img", { class: "media-video", src: url, alt });
  const canvas = h("canvas", { class: "media-video", role: "img", "aria-label": alt });
  const play = h("button", { type: "button", class: "play", title: "pause" }, "❚❚");
  const slider = h("input", { type: "range", class: "frame-slider", min: 0, max: 0, value: 0,
    "aria-label": "frame" });
  const label = h("output", { class: "frame-label" });
  const el = h("div", { class: "gif-player" }, canvas,
    h("div", { class: "toolbar" }, play, slider, label));
  let decoder = null;
  let count = 0;
  let index = 0;
  let playing = true;
  let timer = null;

  let asked = 0; // the last frame asked for wins: one decoded late draws nothing

  const show = async (i) => {
    const mine = ++asked;
    const { image } = await decoder.decode({ frameIndex: i });
    if (mine !== asked) {
      image.close();
      return DEFAULT_FRAME_MS;
    }
    canvas.width = image.displayWidth;
    canvas.height = image.displayHeight;
    canvas.getContext("2d").drawImage(image, 0, 0);
    const ms = image.duration ? image.duration / 1000 : DEFAULT_FRAME_MS;
    image.close();
    index = i;
    slider.value = String(i);
    label.textContent = `frame ${i + 1}/${count}`;
    return ms;
  };
  const tick = async () => {
    timer = null;
    if (!playing || !el.isConnected) return; // paused, or its page has gone
    const ms = await show((index + 1) % count);
    // Paused and played again meanwhile: that started a timer of its own, so this one stops.
    if (playing && timer === null) timer = setTimeout(tick, ms);
  };
  const setPlaying = (on) => {
    playing = on;
    play.textContent = on ? "❚❚" : "▶";
    play.title = on ? "pause" : "play";
    clearTimeout(timer);
    timer = on ? setTimeout(tick, 0) : null;
  };
  play.addEventListener("click", () => setPlaying(!playing));
  slider.addEventListener("input", () => { setPlaying(false); show(Number(slider.value)); });

  (async () => {
    const data = await (await api.fileBlob(runId, path)).arrayBuffer();
    decoder = new ImageDecoder({ data, type: "image/gif" });
    await Promise.all([decoder.tracks.ready, decoder.completed]);
    count = decoder.tracks.selectedTrack.frameCount;
    slider.max = String(count - 1);
    const ms = await show(0);
    if (playing && count > 1) timer = setTimeout(tick, ms);
  })().catch((err) => fill(el, errorNotice(err)));
  return el;
}

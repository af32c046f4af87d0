// Training in this browser with TensorFlow.js (the Train page's "In this browser"; see core/training/browser.py).
// Runs in the page itself (Components v2). One run per job id per page: a rerun of the Train page, or a visit to
// another page of the app, finds the run already going; a reload ends it (the page's memory is gone).
const RUNS = (window.__fmsBrowserRuns ||= {});
let ROOT = ""; // the app's base path ("/studio" behind a school's proxy): the page says, the routes live there
const tfjsFolder = () => `${ROOT}/browser/tfjs/`;
const PIXELS = 28 * 28;
const REPORT_EVERY_MS = 500;

function loadScript(src) {
  window.__fmsScripts ||= {};
  window.__fmsScripts[src] ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src} from this server`));
    document.head.appendChild(script);
  });
  return window.__fmsScripts[src];
}

// The fastest backend this browser offers for this model, measured: one training step of the run's own model on
// WebGL (the GPU; in a browser without one, a software GPU) and on WebAssembly, the faster one trains. Plain
// JavaScript ("cpu") only when neither works: it is the slowest by far (a CNN step takes seconds).
async function fastestBackend(plan) {
  const TFJS = tfjsFolder();
  await loadScript(TFJS + "tf.min.js");
  try {
    await loadScript(TFJS + "tf-backend-wasm.min.js");
    tf.wasm.setWasmPaths(TFJS);
  } catch (error) {
    console.warn("TensorFlow.js WebAssembly backend unavailable:", error);
  }
  const timings = {};
  for (const name of ["webgl", "wasm"]) {
    try {
      if (!(await tf.setBackend(name))) continue;
      await tf.ready();
      timings[name] = await stepMilliseconds(plan);
    } catch (error) { // e.g. WebAssembly has no kernel for a convolution's gradient
      console.info(`TensorFlow.js backend ${name} cannot train this model:`, error);
    }
  }
  const measured = Object.keys(timings);
  const backend = measured.length ? measured.reduce((a, b) => (timings[a] <= timings[b] ? a : b)) : "cpu";
  if (!(await tf.setBackend(backend))) throw new Error("no TensorFlow.js backend works in this browser");
  await tf.ready();
  return { backend, timings };
}

async function stepMilliseconds(plan) {
  const model = buildModel(plan);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const batch = plan.recipe.batch_size;
  const x = tf.zeros([batch, 28, 28]), y = tf.oneHot(tf.zeros([batch], "int32"), 10).cast("float32");
  try {
    await model.trainOnBatch(x, y); // the first step compiles shaders and finds kernels
    const started = performance.now();
    await model.trainOnBatch(x, y);
    return performance.now() - started;
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

// A yield to the page between batches that hidden tabs do not throttle (unlike timers and animation frames).
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToPage = () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });

// Keras's RandomFlip("horizontal"): each training image mirrored left-right with probability 1/2; at rest, nothing.
function randomFlipLayer() {
  class RandomFlip extends tf.layers.Layer {
    static get className() { return "FmsRandomFlip"; }
    call(inputs, kwargs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        if (!kwargs.training) return x.clone();
        const flip = tf.randomUniform([x.shape[0], ...x.shape.slice(1).map(() => 1)]).less(0.5).cast("float32");
        return x.mul(tf.scalar(1).sub(flip)).add(tf.reverse(x, 2).mul(flip));
      });
    }
  }
  return RandomFlip;
}

function buildModel(plan) {
  const model = tf.sequential();
  let RandomFlip = null;
  plan.layers.forEach((layer, index) => {
    const common = index === 0 ? { inputShape: plan.input_shape } : {};
    const settings = {
      rescaling: () => tf.layers.rescaling({ ...common, scale: layer.scale, offset: layer.offset }),
      reshape: () => tf.layers.reshape({ ...common, targetShape: layer.target_shape }),
      flatten: () => tf.layers.flatten(common),
      dense: () => tf.layers.dense({ ...common, units: layer.units, activation: layer.activation, useBias: layer.use_bias }),
      dropout: () => tf.layers.dropout({ ...common, rate: layer.rate }),
      batch_norm: () => tf.layers.batchNormalization({ ...common, momentum: layer.momentum, epsilon: layer.epsilon }),
      leaky_relu: () => tf.layers.leakyReLU({ ...common, alpha: layer.alpha }),
      relu: () => tf.layers.reLU(common),
      conv2d: () => tf.layers.conv2d({
        ...common, filters: layer.filters, kernelSize: layer.kernel_size, strides: layer.strides,
        padding: layer.padding, activation: layer.activation, useBias: layer.use_bias,
      }),
      max_pool: () => tf.layers.maxPooling2d({
        ...common, poolSize: layer.pool_size, strides: layer.strides, padding: layer.padding,
      }),
      random_flip: () => new (RandomFlip ||= randomFlipLayer())(common),
    }[layer.kind];
    if (!settings) throw new Error(`unknown layer ${layer.kind}`);
    model.add(settings());
  });
  return model;
}

function makeOptimizer(recipe) {
  const rate = recipe.learning_rate;
  if (recipe.optimizer === "sgd") return tf.train.momentum(rate, 0.9);
  if (recipe.optimizer === "rmsprop") return tf.train.rmsprop(rate, 0.9, 0, 1e-7);
  return tf.train.adam(rate, 0.9, 0.999, 1e-7); // Keras's defaults
}

function seededRandom(seed) { // mulberry32: the same shuffles for the same seed
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(count, random) {
  const order = new Int32Array(count).map((_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function batchOf(images, labels, indices) {
  const x = new Float32Array(indices.length * PIXELS);
  const y = new Float32Array(indices.length * 10);
  indices.forEach((index, row) => {
    x.set(images.subarray(index * PIXELS, (index + 1) * PIXELS), row * PIXELS);
    y[row * 10 + labels[index]] = 1;
  });
  return [tf.tensor3d(x, [indices.length, 28, 28]), tf.tensor2d(y, [indices.length, 10])];
}

// Loss and accuracy on held-out images, as Keras's validation computes them (inference mode, in chunks).
async function evaluate(model, images, labels) {
  let loss = 0, right = 0;
  for (let start = 0; start < labels.length; start += 1000) {
    const indices = Array.from({ length: Math.min(1000, labels.length - start) }, (_, i) => start + i);
    const [x, y] = batchOf(images, labels, indices);
    const [chunkLoss, chunkRight] = tf.tidy(() => {
      const p = model.predict(x).clipByValue(1e-7, 1);
      return [y.mul(p.log()).sum().neg(), p.argMax(1).equal(y.argMax(1)).sum()];
    });
    loss += (await chunkLoss.data())[0];
    right += (await chunkRight.data())[0];
    tf.dispose([x, y, chunkLoss, chunkRight]);
  }
  return { val_loss: loss / labels.length, val_accuracy: right / labels.length };
}

async function watchAnswers(model, watched) {
  const probabilities = tf.tidy(() => model.predict(watched));
  const rows = await probabilities.array();
  probabilities.dispose();
  return rows.map((row) => { const best = row.indexOf(Math.max(...row)); return [best, row[best]]; });
}

function base64Of(floats) {
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  let text = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(start, start + 0x8000));
  }
  return btoa(text);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `the server answered ${response.status}`);
  return answer;
}

async function train(run) {
  const base = `${ROOT}/browser/runs/${run.jobId}`;
  let pending = [], lastSent = 0;
  const send = async (now) => { // true when the server says stop
    if (!now && performance.now() - lastSent < REPORT_EVERY_MS) return false;
    lastSent = performance.now();
    const events = pending;
    pending = [];
    return (await post(`${base}/progress`, events)).stop;
  };
  try {
    run.say("Loading TensorFlow.js from this server…");
    const planResponse = await fetch(`${base}/plan`, { credentials: "same-origin" });
    if (!planResponse.ok) throw new Error("this run is no longer live on the server");
    const plan = await planResponse.json();
    run.say("Measuring which TensorFlow.js backend trains this model fastest here…");
    if (await send(true)) return run.say("Stopped; nothing was saved."); // (an empty report: still here)
    const { backend, timings } = await fastestBackend(plan);
    if (await send(true)) return run.say("Stopped; nothing was saved.");
    const measured = Object.entries(timings).map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(", ");
    run.say(`Downloading the training images (TensorFlow.js ${tf.version.tfjs}, ${backend} backend)…`);
    const data = new Uint8Array(await (await fetch(plan.data_url)).arrayBuffer());
    const header = new DataView(data.buffer, 4, 8);
    const nTrain = header.getUint32(0, true), nVal = header.getUint32(4, true);
    let at = 12;
    const take = (count) => data.subarray(at, (at += count));
    const xTrain = take(nTrain * PIXELS), yTrain = take(nTrain), xVal = take(nVal * PIXELS), yVal = take(nVal);
    const watchedBytes = Uint8Array.from(atob(plan.watch), (c) => c.charCodeAt(0));
    const watched = tf.tensor3d(Float32Array.from(watchedBytes), [watchedBytes.length / PIXELS, 28, 28]);

    const model = buildModel(plan);
    if (model.countParams() !== plan.params) {
      throw new Error(`built ${model.countParams()} parameters, the zoo's model has ${plan.params}`);
    }
    const recipe = plan.recipe;
    const optimizer = makeOptimizer(recipe);
    model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const batchSize = recipe.batch_size, batches = Math.ceil(nTrain / batchSize);
    const sampleEvery = Math.max(1, Math.floor(batches / plan.curve_points_per_epoch));
    const totalSteps = recipe.epochs * batches;
    let step = 0, rate = recipe.learning_rate;
    const plateau = { best: Infinity, wait: 0 };
    const early = { best: Infinity, wait: 0, weights: null };
    const random = seededRandom(recipe.seed);
    pending.push({ kind: "begin", batches_per_epoch: batches, backend, timings, params: model.countParams() });
    pending.push({ kind: "watch", watch: await watchAnswers(model, watched) });
    if (await send(true)) return run.say("Stopped; nothing was saved.");
    run.say(`Training here with TensorFlow.js ${tf.version.tfjs} on the ${backend} backend`
      + (measured ? ` (one step: ${measured})` : "") + ". Keep this tab open: a reload or closing it ends the run.");

    for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
      pending.push({ kind: "epoch_begin", epoch });
      if (recipe.lr_schedule === "exponential") rate = recipe.learning_rate * 0.9 ** (epoch - 1);
      const order = shuffled(nTrain, random);
      let lossSum = 0, rightSum = 0, seen = 0;
      for (let batch = 0; batch < batches; batch++) {
        if (recipe.lr_schedule === "cosine") rate = recipe.learning_rate * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps));
        optimizer.learningRate = rate;
        const indices = order.subarray(batch * batchSize, (batch + 1) * batchSize);
        const [x, y] = batchOf(xTrain, yTrain, indices);
        const [loss, accuracy] = await model.trainOnBatch(x, y);
        tf.dispose([x, y]);
        step++;
        lossSum += loss * indices.length;
        rightSum += accuracy * indices.length;
        seen += indices.length;
        if ((batch + 1) % sampleEvery === 0 || batch + 1 === batches) {
          pending.push({ kind: "batch", batch: batch + 1, logs: { loss: lossSum / seen, accuracy: rightSum / seen } });
          if (await send(false)) return run.say("Stopped; nothing was saved.");
        }
        await yieldToPage();
      }
      const logs = { loss: lossSum / seen, accuracy: rightSum / seen, ...(await evaluate(model, xVal, yVal)) };
      pending.push({ kind: "epoch", epoch, logs, watch: await watchAnswers(model, watched) });
      if (await send(true)) return run.say("Stopped; nothing was saved.");
      if (recipe.lr_schedule === "plateau") { // Keras's ReduceLROnPlateau(factor=0.5, patience=2, min_lr=1e-5)
        if (logs.val_loss < plateau.best - 1e-4) {
          plateau.best = logs.val_loss;
          plateau.wait = 0;
        } else if (++plateau.wait >= 2) {
          plateau.wait = 0;
          rate = Math.max(rate * 0.5, 1e-5);
        }
      }
      if (recipe.early_stopping_patience) { // Keras's EarlyStopping(restore_best_weights=True)
        if (logs.val_loss < early.best) {
          tf.dispose(early.weights || []);
          Object.assign(early, { best: logs.val_loss, wait: 0, weights: model.getWeights().map((w) => w.clone()) });
        } else if (++early.wait >= recipe.early_stopping_patience) break;
      }
    }
    if (early.weights) model.setWeights(early.weights);
    run.say("Sending the trained weights; the server tests them on its 10,000 test images…");
    const weights = [];
    for (const layer of model.layers) {
      if (layer.weights.length) weights.push(await Promise.all(layer.getWeights().map(async (w) => ({
        shape: w.shape, data: base64Of(await w.data()),
      }))));
    }
    const saved = await post(`${base}/weights`, { weights, backend });
    run.say(`Trained here on the ${backend} backend; the server measured ${(100 * saved.test_accuracy).toFixed(2)}%`
      + ` on its test images and saved ${saved.model_id}.`);
    run.done = true;
  } catch (error) {
    // A reload or close aborts the fetches in flight: that is the tab leaving, not a failure. The beacon
    // ends the run (sent here too, as `finally` marks the run done before pagehide may come; a second is harmless).
    if (run.leaving) return navigator.sendBeacon(`${ROOT}/browser/runs/${run.jobId}/abandon`);
    run.say(`Training in this browser failed: ${error.message || error}`);
    pending.push({ kind: "failed", message: String(error.message || error) });
    send(true).catch(() => {});
  } finally {
    run.done = true;
  }
}

export default function ({ data, parentElement }) {
  ROOT = data.root || "";
  let line = parentElement.querySelector("p");
  if (!line) { // the run's phases (loading, measuring, training, saved) are announced to screen readers too
    line = parentElement.appendChild(document.createElement("p"));
    line.setAttribute("role", "status");
  }
  let run = RUNS[data.jobId];
  if (!run) {
    run = RUNS[data.jobId] = { jobId: data.jobId, text: "", done: false, lines: new Set() };
    run.say = (text) => { run.text = text; run.lines.forEach((each) => { each.textContent = text; }); };
    window.addEventListener("beforeunload", () => { run.leaving = true; }); // before the tab aborts its fetches
    window.addEventListener("pagehide", () => {
      run.leaving = true;
      if (!run.done) navigator.sendBeacon(`${ROOT}/browser/runs/${run.jobId}/abandon`);
    });
    train(run);
  }
  run.lines.add(line);
  line.textContent = run.text;
  return () => run.lines.delete(line);
}

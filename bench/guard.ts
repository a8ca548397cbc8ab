// bench/guard: what the guard catches, what it costs, and where it is weak, on Fashion-MNIST with real attacks.
//   node bench/guard.ts [--attacks DIR] [--streams 20] [--benign 50] [--latency 300]
// Needs Debian's dataset-fashion-mnist, the trained models and guard file in packages/guard/models, and the
// white-box attack sets from bench/guard/attacks.py (python3-torch; run first when DIR has none). Writes
// bench/out/guard.json. Detection rates do not depend on machine load; latencies do (the load average is printed).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  argmax,
  createGuard,
  evaluateStages,
  guardDigest,
  loadGuard,
  QueryDetector,
  scoreImages,
  softmax,
  type GuardImage,
  type GuardModel,
  type ImageScores,
} from "@edgeward/guard";
import { seededRandom } from "@edgeward/testkit";
import { fashion, mnistDigits, readF32Images, TRANSFORMS } from "./guard/data.ts";
import { guardScorer } from "./guard/guard-score.ts";
import { throughJpeg } from "./guard/jpeg.ts";
import { auroc, fpr95, percentile } from "./guard/metrics.ts";
import { simba, squareAttack, type Query } from "./guard/query-attacks.ts";

const { values: args } = parseArgs({
  options: {
    attacks: { type: "string", default: "/tmp/edgeward-guard-attacks" },
    streams: { type: "string", default: "20" },
    benign: { type: "string", default: "50" },
    latency: { type: "string", default: "300" },
  },
});
const MODELS = fileURLToPath(new URL("../packages/guard/models/", import.meta.url));
const out: Record<string, unknown> = { loadAverageAtStart: loadavg() };
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const log = (s: string) => process.stdout.write(`${s}\n`);

// The adaptive attack is made against the guard file it reads, so a recalibrated guard needs new attack sets.
const guardSha256 = guardDigest(readFileSync(`${MODELS}guard.yaml`));
const madeFor = existsSync(`${args.attacks}/meta.json`)
  ? (JSON.parse(readFileSync(`${args.attacks}/meta.json`, "utf8")) as { guardSha256?: string }).guardSha256
  : undefined;
if (madeFor !== guardSha256) {
  log(`generating white-box attacks into ${args.attacks} for guard.yaml ${guardSha256} (bench/guard/attacks.py)`);
  const res = spawnSync(
    "/usr/bin/python3",
    [fileURLToPath(new URL("./guard/attacks.py", import.meta.url)), "--models", MODELS, "--out", args.attacks],
    { stdio: "inherit" },
  );
  if (res.status !== 0) throw new Error("attacks.py failed (is python3-torch installed?)");
}

const loaded = await loadGuard(`${MODELS}guard.yaml`);
const { config } = loaded;
const { primary: cnn, second: mlp } = loaded.models as { primary: GuardModel; second: GuardModel };
const setup = {
  primary: cnn,
  second: mlp,
  squeezers: config.stages.squeeze?.squeezers ?? [],
  temperature: config.stages.confidence?.temperature ?? 1,
  mahalanobis: config.stages.mahalanobis,
};
const STAGES = ["stats", "confidence", "ensemble", "squeeze", "mahalanobis"] as const;
const shareByStage = (all: ImageScores[], ids: number[]) =>
  STAGES.map(
    (st) =>
      ids.filter((i) => evaluateStages(config.stages, all[i]!).some((r) => r.stage === st)).length /
      Math.max(1, ids.length),
  );
const flagged = (s: ImageScores) => evaluateStages(config.stages, s).length > 0;
const labelsOf = async (m: GuardModel, imgs: GuardImage[]) => (await m.predict(imgs)).map((l) => argmax(l));

// 1. Clean accuracy on the 10,000 test images; the guard's false-positive rate on them.
const test = fashion("t10k");
const [cnnTest, mlpTest] = [await labelsOf(cnn, test.images), await labelsOf(mlp, test.images)];
const acc = (pred: number[]) => pred.filter((p, i) => p === test.labels[i]).length / pred.length;
const testScores = await scoreImages(setup, test.images);
const testFpr = testScores.filter(flagged).length / testScores.length;
out["clean"] = {
  cnnAccuracy: acc(cnnTest),
  mlpAccuracy: acc(mlpTest),
  guardFprOnTest: testFpr,
  targetFpr: config.targetFpr,
};
log(
  `clean test accuracy: CNN ${pct(acc(cnnTest))}, MLP ${pct(acc(mlpTest))}; guard flags ${pct(testFpr)} of clean test images (target ${pct(config.targetFpr)}, calibrated on held-out training images)`,
);

// The same clean images JPEG-compressed (a shift in encoding, not in content): what the false-positive rate becomes.
const jpegRows: Record<string, number> = {};
for (const quality of [95, 75]) {
  const jpeg = await scoreImages(setup, await throughJpeg(test.images.slice(0, 1000), quality, config.input));
  jpegRows[`q${quality}`] = jpeg.filter(flagged).length / jpeg.length;
}
out["jpegFpr"] = jpegRows;
log(`first 1,000 clean test images as JPEG q95 / q75: guard flags ${pct(jpegRows["q95"]!)} / ${pct(jpegRows["q75"]!)}`);

// Calibration scores (the trainer's held-out indices of the training set), for the continuous guard score.
const train = fashion("train");
const holdout = (JSON.parse(readFileSync(`${MODELS}split.json`, "utf8")) as { holdout: number[] }).holdout;
const calScores = await scoreImages(
  setup,
  holdout.map((i) => train.images[i]!),
);
const guardScore = guardScorer(calScores, config.stages);
const idGuard = testScores.map(guardScore);
// The operating point the guard's target is stated at: the continuous guard score thresholded so that exactly 5%
// of clean *test* images flag.
const testThreshold5 = percentile(idGuard, 95);

// 2. White-box attacks: share of successful adversarial examples the guard flags at its calibrated operating point.
const meta = JSON.parse(readFileSync(`${args.attacks}/meta.json`, "utf8")) as { testIndices: number[] };
const advLabels = readFileSync(`${args.attacks}/labels.u8`);
const clean = readF32Images(`${args.attacks}/clean.f32`);
const [cnnClean, mlpClean] = [await labelsOf(cnn, clean), await labelsOf(mlp, clean)];
const attackRows: Record<string, unknown>[] = [];
log(
  "\nattack        | CNN success | caught (of successful) | caught, score at 5% test FPR | by stage: stats/conf/ens/squeeze/maha | MLP transfer success | caught (of MLP-fooled)",
);
for (const name of ["fgsm-0.1", "fgsm-0.2", "fgsm-0.3", "pgd-0.1", "pgd-0.2", "pgd-0.3", "adaptive-0.3"]) {
  if (!existsSync(`${args.attacks}/${name}.f32`)) {
    log(`${name}: not generated (run bench/guard/attacks.py)`);
    continue;
  }
  const adv = readF32Images(`${args.attacks}/${name}.f32`);
  const [cnnAdv, mlpAdv] = [await labelsOf(cnn, adv), await labelsOf(mlp, adv)];
  const scores = await scoreImages(setup, adv);
  const ok = (i: number) => cnnClean[i] === advLabels[i];
  const success = adv.map((_, i) => ok(i) && cnnAdv[i] !== advLabels[i]);
  const mlpSuccess = adv.map((_, i) => mlpClean[i] === advLabels[i] && mlpAdv[i] !== advLabels[i]);
  const idx = (mask: boolean[]) => mask.flatMap((m, i) => (m ? [i] : []));
  const caughtShare = (ids: number[]) => ids.filter((i) => flagged(scores[i]!)).length / Math.max(1, ids.length);
  const byStage = shareByStage(scores, idx(success));
  const row = {
    attack: name,
    cnnSuccess: idx(success).length / adv.filter((_, i) => ok(i)).length,
    caught: caughtShare(idx(success)),
    successful: idx(success).length,
    caughtAtTestFpr5:
      idx(success).filter((i) => guardScore(scores[i]!) > testThreshold5).length / Math.max(1, idx(success).length),
    byStage: Object.fromEntries(STAGES.map((s, k) => [s, byStage[k]])),
    mlpTransferSuccess: idx(mlpSuccess).length / adv.filter((_, i) => mlpClean[i] === advLabels[i]).length,
    caughtOfMlpFooled: caughtShare(idx(mlpSuccess)),
    n: adv.length,
  };
  attackRows.push(row);
  log(
    `${name.padEnd(13)} | ${pct(row.cnnSuccess).padStart(11)} | ${pct(row.caught).padStart(22)} | ${pct(row.caughtAtTestFpr5).padStart(27)} | ${byStage.map(pct).join(" / ")} | ${pct(row.mlpTransferSuccess).padStart(20)} | ${pct(row.caughtOfMlpFooled)}`,
  );
}
out["attacks"] = { testIndicesSeed: 7, count: meta.testIndices.length, rows: attackRows };

// 3. Out-of-distribution: AUROC and FPR95 of MSP, energy and the full guard against the clean test set.
const rand = seededRandom(11);
const oodSets: Record<string, GuardImage[]> = { "mnist-digits": mnistDigits(2000) };
for (const [name, t] of Object.entries(TRANSFORMS))
  oodSets[name] = test.images.slice(0, 1000).map((img) => t(img, rand));
const idMsp = testScores.map((s) => -s.msp);
const idEnergy = testScores.map((s) => s.energy);
const oodRows: Record<string, unknown>[] = [];
log(
  "\nOOD set       | AUROC msp / energy / guard | FPR95 msp / energy / guard | guard flags (operating point) | by stage: stats/conf/ens/squeeze/maha",
);
for (const [name, imgs] of Object.entries(oodSets)) {
  const s = await scoreImages(setup, imgs);
  const ood = { msp: s.map((x) => -x.msp), energy: s.map((x) => x.energy), guard: s.map(guardScore) };
  const each = (metric: (a: number[], b: number[]) => number) => ({
    msp: metric(idMsp, ood.msp),
    energy: metric(idEnergy, ood.energy),
    guard: metric(idGuard, ood.guard),
  });
  const row = {
    set: name,
    n: imgs.length,
    auroc: each(auroc),
    fpr95: each(fpr95),
    flagged: s.filter(flagged).length / s.length,
    byStage: Object.fromEntries(
      STAGES.map((st, k) => [
        st,
        shareByStage(
          s,
          s.map((_, i) => i),
        )[k],
      ]),
    ),
    statsFeatures: Object.fromEntries(
      Object.keys(config.stages.stats?.features ?? {}).map((f) => [
        f,
        s.filter((x) =>
          evaluateStages(config.stages, x).some((r) => r.stage === "stats" && r.detail.startsWith(`${f} `)),
        ).length / s.length,
      ]),
    ),
  };
  oodRows.push(row);
  const a = row.auroc;
  const f = row.fpr95;
  log(
    `${name.padEnd(13)} | ${[a.msp, a.energy, a.guard].map((v) => v.toFixed(3)).join(" / ")} | ${[f.msp, f.energy, f.guard].map(pct).join(" / ")} | ${pct(row.flagged)} | ${Object.values(
      row.byStage,
    )
      .map((v) => pct(v ?? 0))
      .join(" / ")}`,
  );
}
out["ood"] = oodRows;

// 4. Query attacks as streams against the served model, each stream one client through the query stage.
const queryCfg = config.stages.query!;
const streams = Number(args.streams);
const correct = test.images.map((_, i) => i).filter((i) => cnnTest[i] === test.labels[i]);
const streamRows: Record<string, unknown> = {};
for (const [name, attack] of [
  ["square", squareAttack],
  ["simba", simba],
] as const) {
  const rows: { queries: number; success: boolean; flaggedAt: number }[] = [];
  for (let k = 0; k < streams; k++) {
    const detector = new QueryDetector(queryCfg);
    const i = correct[Math.floor(rand() * correct.length)]!;
    let n = 0;
    let flaggedAt = Infinity;
    const query: Query = async (img) => {
      n++;
      if (detector.observe("attacker", img).flagged && n < flaggedAt) flaggedAt = n;
      return softmax((await cnn.predict([img]))[0]!);
    };
    const outcome = await attack({ x: test.images[i]!, label: test.labels[i]!, query, rand, eps: 0.2, budget: 300 });
    rows.push({ ...outcome, flaggedAt });
  }
  // A stream that fooled the model before its second query cannot be told from one benign query: counted apart.
  const oneShot = rows.filter((r) => r.queries < 2);
  const longer = rows.filter((r) => r.queries >= 2);
  const flagTimes = longer.map((r) => r.flaggedAt);
  const within50 = longer.filter((r) => r.flaggedAt <= 50).length / Math.max(1, longer.length);
  const succeededUnflagged = rows.filter((r) => r.success && r.flaggedAt > r.queries).length;
  streamRows[name] = {
    streams,
    attackSuccess: rows.filter((r) => r.success).length / streams,
    fooledWithOneQuery: oneShot.length,
    flaggedWithin50OfMultiQueryStreams: within50,
    medianQueriesToFlag: percentile(flagTimes, 50),
    maxQueriesToFlag: Math.max(...flagTimes),
    succeededBeforeFlag: succeededUnflagged,
    rows,
  };
  log(
    `\n${name}: ${streams} streams (ε 0.2, ≤ 300 queries; ${rows.filter((r) => r.success).length} fooled the CNN, ${oneShot.length} with the first query); ` +
      `of the ${longer.length} longer streams ${pct(within50)} flagged within 50 queries (median ${percentile(flagTimes, 50)}, max ${Math.max(...flagTimes)}); ` +
      `${succeededUnflagged} streams fooled the model before being flagged`,
  );
}
const benign = Number(args.benign);
let benignStreamsFlagged = 0;
let benignQueriesFlagged = 0;
const detector = new QueryDetector({ ...queryCfg, maxClients: benign });
for (let c = 0; c < benign; c++) {
  // 100 distinct test images per client (stride 97 from a random start; 97 and 10,000 are coprime).
  const start = Math.floor(rand() * test.images.length);
  let any = false;
  for (let q = 0; q < 100; q++) {
    if (detector.observe(`benign-${c}`, test.images[(start + q * 97) % test.images.length]!).flagged) {
      benignQueriesFlagged++;
      any = true;
    }
  }
  if (any) benignStreamsFlagged++;
}
streamRows["benign"] = {
  streams: benign,
  queriesPerStream: 100,
  streamsFlagged: benignStreamsFlagged / benign,
  queriesFlagged: benignQueriesFlagged / (benign * 100),
};
log(
  `benign: ${benign} clients × 100 distinct test images: ${pct(benignStreamsFlagged / benign)} of streams and ${pct(benignQueriesFlagged / (benign * 100))} of queries flagged`,
);
out["queryStreams"] = streamRows;

// 5. Latency: one image, bare CNN against the whole guarded check, interleaved.
const guard = createGuard(config, loaded.models);
const bare: number[] = [];
const guarded: number[] = [];
const n = Number(args.latency);
for (let k = 0; k < n + 20; k++) {
  const img = test.images[k % test.images.length]!;
  const t0 = performance.now();
  await cnn.predict([img]);
  const t1 = performance.now();
  await guard.check({ kind: "tensor", data: img.pixels, dims: [1, 1, 28, 28] }, { clientId: `lat-${k}` });
  const t2 = performance.now();
  if (k >= 20) {
    bare.push(t1 - t0);
    guarded.push(t2 - t1);
  }
}
const lat = {
  bareP50: percentile(bare, 50),
  bareP99: percentile(bare, 99),
  guardedP50: percentile(guarded, 50),
  guardedP99: percentile(guarded, 99),
  loadAverage: loadavg(),
};
out["latencyMs"] = lat;
log(
  `\nlatency (ms, n=${n}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      " ",
    )}): bare CNN p50 ${lat.bareP50.toFixed(3)} p99 ${lat.bareP99.toFixed(3)}; guarded p50 ${lat.guardedP50.toFixed(3)} p99 ${lat.guardedP99.toFixed(3)}; overhead p50 ${(lat.guardedP50 - lat.bareP50).toFixed(3)}`,
);

await loaded.close();
mkdirSync(fileURLToPath(new URL("./out/", import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL("./out/guard.json", import.meta.url)), `${JSON.stringify(out, null, 2)}\n`);

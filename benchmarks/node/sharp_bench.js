// Same work as the thumbnailer: auto-orient, centre cover crop, square 1200/600/300/150 WebP q80, no metadata.
// Usage: node sharp_bench.js <image> <iterations>  -> prints JSON {seconds, renditions, peakRssMiB}
const fs = require("fs");
const sharp = require("sharp");
sharp.concurrency(1); // one core, like one Lambda invocation of the Python pipeline
const [file, iterations] = [process.argv[2], Number(process.argv[3] || 5)];
const input = fs.readFileSync(file);
const sizes = [1200, 600, 300, 150];
(async () => {
  let peak = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    for (const size of sizes) {
      await sharp(input).rotate().resize(size, size, { fit: "cover", position: "centre" }).webp({ quality: 80 }).toBuffer();
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ seconds, renditions: iterations * sizes.length, peakRssMiB: peak / 1048576 }));
})();

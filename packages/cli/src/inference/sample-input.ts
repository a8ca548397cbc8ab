/**
 * A deterministic sample image tensor for image models with an NCHW float32 input (the PP-OCR detector
 * takes [1, 3, H, W], normalised): dark "text strokes" on a light page, so the detector has something to find.
 */
export function sampleImageTensor(height = 320, width = 320): { dims: number[]; data: Float32Array } {
  const data = new Float32Array(3 * height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const line = Math.floor(y / 40);
      const inStroke = y % 40 > 12 && y % 40 < 28 && x > 20 + line * 7 && x < width - 30 && (x >> 3) % 3 !== 0;
      const v = inStroke ? -1.8 : 1.9; // (pixel/255 - mean) / std for ink vs paper, roughly
      for (let c = 0; c < 3; c++) data[c * height * width + y * width + x] = v;
    }
  }
  return { dims: [1, 3, height, width], data };
}

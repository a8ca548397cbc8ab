// @edgeward/io: the file-system edge of the libraries, shared by the CLI, the demo and the agent. Apart from core,
// which does no I/O beyond the streams it is handed (ARCHITECTURE.md): reading small files with typed errors,
// writing outputs safely (atomic replace, devices and FIFOs written through, directories and inputs refused,
// keys never overwritten unasked), and opening a sealed model file verified.
export { errnoOf, ioError } from "./errno.ts";
export { openForRead, readJsonFile, readSmallFile, readTextFile } from "./read.ts";
export { sealModelFile, type SealedModelFile, type SealModelFileOptions } from "./seal-model.ts";
export { loadSignatureCheck, openSealedModelFile, type SignatureFiles } from "./sealed-model.ts";
export {
  openDiscard,
  prepareOutput,
  writeOutput,
  writeTextOutput,
  type OutputFile,
  type OutputOptions,
} from "./write.ts";

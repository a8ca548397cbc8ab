// Flows over sealed models that join age and OMS; @edgeward/core's index re-exports these names.
export {
  openSealedModel,
  type OpenedModel,
  type OpenSealedModelOptions,
  type SealedModelCheck,
} from "./open-sealed.ts";

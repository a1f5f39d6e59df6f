import { defineErrors } from "@frameloom/shared-helpers";

export const CliErrors = defineErrors({
  UNKNOWN_STAGE: "FLM_ERR_CLI_UNKNOWN_STAGE",
  OPTION_INVALID: "FLM_ERR_CLI_OPTION_INVALID",
});

/** The plan directory of a distributed render (`frameloom plan`, planDir.ts). */
export const PlanDirErrors = defineErrors({
  /** The plan dir was written by another Frameloom version or layout version. */
  VERSION: "FLM_ERR_PLAN_VERSION",
  /** The plan dir, its manifest.json / plan.json, or an asset it lists cannot be read. */
  UNREADABLE: "FLM_ERR_PLAN_UNREADABLE",
  /** plan.json, the asset table, the audio or the chunk list no longer match the manifest's planHash. */
  HASH_MISMATCH: "FLM_ERR_PLAN_HASH_MISMATCH",
  /** `-o` names something that is not empty and not a previous plan dir. */
  OUTPUT_EXISTS: "FLM_ERR_PLAN_OUTPUT_EXISTS",
  /** The entry file, a media file or an audio track lies outside the project directory. */
  OUTSIDE_PROJECT: "FLM_ERR_PLAN_OUTSIDE_PROJECT",
  /** A project file or the mixed soundtrack the plan needs cannot be read. */
  SOURCE_UNREADABLE: "FLM_ERR_PLAN_SOURCE_UNREADABLE",
  /** Writing the plan dir (or a worker's materialised project) failed. */
  WRITE_FAILED: "FLM_ERR_PLAN_WRITE_FAILED",
  /** A chunk size that is not a whole number ≥ 1, or a chunk outside the plan's range. */
  CHUNK_INVALID: "FLM_ERR_PLAN_CHUNK_INVALID",
});

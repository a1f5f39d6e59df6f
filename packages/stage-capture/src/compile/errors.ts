import { defineErrors } from "@frameloom/shared-helpers";

/** Error codes of the compile step, the file server and the network guard (merged into the package's errors later). */
export const CompileErrors = defineErrors({
  ENTRY_MISSING: "FLM_ERR_COMPILE_ENTRY_MISSING",
  ENTRY_NOT_FILE: "FLM_ERR_COMPILE_ENTRY_NOT_FILE",
  ENTRY_UNREADABLE: "FLM_ERR_COMPILE_ENTRY_UNREADABLE",
  NO_COMPOSITION: "FLM_ERR_COMPILE_NO_COMPOSITION",
  BAD_SIZE: "FLM_ERR_COMPILE_BAD_SIZE",
  BAD_FPS: "FLM_ERR_COMPILE_BAD_FPS",
  BAD_DURATION: "FLM_ERR_COMPILE_BAD_DURATION",
  MEDIA_MISSING: "FLM_ERR_COMPILE_MEDIA_MISSING",
  MEDIA_OUTSIDE_PROJECT: "FLM_ERR_COMPILE_MEDIA_OUTSIDE_PROJECT",
});

export const ServerErrors = defineErrors({
  ROOT_INVALID: "FLM_ERR_SERVER_ROOT_INVALID",
  LISTEN_FAILED: "FLM_ERR_SERVER_LISTEN_FAILED",
});

import { defineErrors } from "@frameloom/shared-helpers";

export const CliErrors = defineErrors({
  UNKNOWN_STAGE: "FLM_ERR_CLI_UNKNOWN_STAGE",
  OPTION_INVALID: "FLM_ERR_CLI_OPTION_INVALID",
});

import { defineErrors } from "@frameloom/shared-helpers";

export const CompareErrors = defineErrors({
  INPUT_MISSING: "FLM_ERR_COMPARE_INPUT_MISSING",
  INPUT_UNREADABLE: "FLM_ERR_COMPARE_INPUT_UNREADABLE",
  OPTION_INVALID: "FLM_ERR_COMPARE_OPTION_INVALID",
});

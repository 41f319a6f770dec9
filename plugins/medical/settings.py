"""The medical plugin's own settings, from ``BANGFU_MEDICAL_`` environment variables.

Read once, at first use (:func:`medical_settings`), like the service's own settings.
Lists and mappings are given as JSON::

    BANGFU_MEDICAL_CONDITIONS='{"HYPERTENSION": "高血压", "UREMIA": "尿毒症"}'
    BANGFU_MEDICAL_SERIOUS_CONDITIONS='["UREMIA"]'
    BANGFU_MEDICAL_OUT_OF_POCKET_THRESHOLD=0.10
"""

import decimal
import functools

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bangfu.core.i18n import _

# Chronic and serious illnesses covered by Shanxi's outpatient chronic/special disease
# (门诊慢特病) and critical illness (大病) lists: the ones a county medical security bureau
# asks about first. Codes are what the API stores and accepts; names are for people.
DEFAULT_CONDITIONS: dict[str, str] = {
    "HYPERTENSION": "高血压 (hypertension)",
    "DIABETES": "糖尿病 (diabetes)",
    "CORONARY_HEART_DISEASE": "冠心病 (coronary heart disease)",
    "STROKE_SEQUELAE": "脑卒中后遗症 (after-effects of a stroke)",
    "COPD": "慢性阻塞性肺疾病 (chronic obstructive pulmonary disease)",
    "CHRONIC_HEPATITIS": "慢性病毒性肝炎 (chronic viral hepatitis)",
    "LIVER_CIRRHOSIS": "肝硬化 (cirrhosis of the liver)",
    "RHEUMATOID_ARTHRITIS": "类风湿性关节炎 (rheumatoid arthritis)",
    "PARKINSONS": "帕金森病 (Parkinson's disease)",
    "EPILEPSY": "癫痫 (epilepsy)",
    "TUBERCULOSIS": "肺结核 (pulmonary tuberculosis)",
    "SEVERE_MENTAL_ILLNESS": "重性精神病 (severe mental illness)",
    "UREMIA": "尿毒症 (end-stage renal disease, dialysis)",
    "MALIGNANT_TUMOUR": "恶性肿瘤 (cancer)",
    "LEUKAEMIA": "白血病 (leukaemia)",
    "CONGENITAL_HEART_DISEASE": "先天性心脏病 (congenital heart disease)",
    "APLASTIC_ANAEMIA": "再生障碍性贫血 (aplastic anaemia)",
    "HAEMOPHILIA": "血友病 (haemophilia)",
    "ORGAN_TRANSPLANT": "器官移植术后 (after an organ transplant)",
    "SYSTEMIC_LUPUS": "系统性红斑狼疮 (systemic lupus erythematosus)",
}

DEFAULT_SERIOUS: frozenset[str] = frozenset(
    {
        "UREMIA",
        "MALIGNANT_TUMOUR",
        "LEUKAEMIA",
        "CONGENITAL_HEART_DISEASE",
        "APLASTIC_ANAEMIA",
        "HAEMOPHILIA",
        "ORGAN_TRANSPLANT",
        "SEVERE_MENTAL_ILLNESS",
    }
)


class MedicalSettings(BaseSettings):
    """What a city configures for the medical plugin."""

    model_config = SettingsConfigDict(env_prefix="BANGFU_MEDICAL_", env_file=None, extra="ignore")

    conditions: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_CONDITIONS),
        description="The chronic and serious illnesses that can be recorded: code → name. "
        "A code is upper case letters, digits and underscores.",
    )
    serious_conditions: frozenset[str] = Field(
        default=DEFAULT_SERIOUS,
        description="Codes recorded as serious (大病) unless the recorder says otherwise.",
    )
    out_of_pocket_threshold: decimal.Decimal = Field(
        default=decimal.Decimal("0.10"),
        ge=0,
        le=1,
        description="Goal 'illness treated well' (看好病) is AT_RISK when a person's "
        "out-of-pocket share of this year's settled claims exceeds it (0.10 = 10 %).",
    )
    claim_deadline_days: int = Field(
        default=60,
        ge=1,
        le=366,
        description="Days after discharge (or after admission, while still in hospital) "
        "within which a medical-aid claim should be settled.",
    )
    hospitalisation_lookback_days: int = Field(
        default=365,
        ge=1,
        description="How far back a hospitalisation without a claim still puts medical "
        "care AT_RISK (counted back from its claim deadline).",
    )

    @field_validator("conditions")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError(_("give at least one condition"))
        for code in value:
            if not (0 < len(code) <= 64 and code.replace("_", "").isalnum() and code.isupper()):
                raise ValueError(
                    _(
                        "condition code {code}: upper case letters, digits and _",
                        code=repr(code),
                    )
                )
        return value

    @model_validator(mode="after")
    def _serious_are_known(self) -> "MedicalSettings":
        unknown = self.serious_conditions - set(self.conditions)
        # The default list may name codes a city left out of its own list: those are moot.
        if unknown and "serious_conditions" in self.model_fields_set:
            raise ValueError(
                _(
                    "serious_conditions not in conditions: {codes}",
                    codes=", ".join(sorted(unknown)),
                )
            )
        return self

    def is_serious(self, code: str) -> bool:
        return code in self.serious_conditions


@functools.cache
def medical_settings() -> MedicalSettings:
    """The settings, read from the environment at first use (``cache_clear()`` re-reads)."""
    return MedicalSettings()

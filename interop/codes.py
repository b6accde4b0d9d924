"""Code systems and the codes the FHIR interface uses, each with where it was checked.

LOINC codes for PHQ-9 and GAD-7 are the panel and total-score codes named in the issue
(PHQ-9 panel 44249-1, total 44261-6; GAD-7 panel 69737-5, total 70274-6); the vital-sign
codes are those the FHIR R4 vital-signs profile requires (hl7.org/fhir/R4/observation-vitalsigns).
RxNorm codes for therapies live with the therapy (`Therapy.rxnorm_code`, from the catalogue).
"""

from __future__ import annotations

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
NPI = "http://hl7.org/fhir/sid/us-npi"
# Chairside's own identifiers and codes (no public system for them).
LOCAL = "urn:chairside"
RECORD_NUMBER = f"{LOCAL}:record-number"
REFERRAL_REFERENCE = f"{LOCAL}:referral-reference"
THERAPY_CODE = f"{LOCAL}:therapy"
FLAG_RULE = f"{LOCAL}:flag-rule"
SCORE = f"{LOCAL}:score"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# Instrument code -> (LOINC panel, LOINC total score). Other instruments have no LOINC code.
INSTRUMENT_LOINC: dict[str, tuple[str, str]] = {
    "phq9": ("44249-1", "44261-6"),
    "gad7": ("69737-5", "70274-6"),
}
LOINC_DISPLAY = {
    "44249-1": "PHQ-9 quick depression assessment panel",
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "69737-5": "Generalized anxiety disorder 7 item (GAD-7)",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}

# Vital signs (FHIR R4 vital-signs profile): name -> (LOINC, display, UCUM unit).
VITALS: dict[str, tuple[str, str, str]] = {
    "panel": (
        "85353-1",
        "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel",
        "",
    ),
    "blood_pressure": ("85354-9", "Blood pressure panel with all children optional", ""),
    "systolic": ("8480-6", "Systolic blood pressure", "mm[Hg]"),
    "diastolic": ("8462-4", "Diastolic blood pressure", "mm[Hg]"),
    "pulse": ("8867-4", "Heart rate", "/min"),
    "temperature": ("8310-5", "Body temperature", "Cel"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
    "weight": ("29463-7", "Body weight", "kg"),
    "height": ("8302-2", "Body height", "cm"),
}

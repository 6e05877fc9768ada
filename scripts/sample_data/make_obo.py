"""Write sample_data/ontology/mini.obo: a small OBO 1.4 ontology in the shape of the HPO.

Term ids, names and synonyms are those of the Human Phenotype Ontology (they are the words
clinicians use, and most of them occur in the sample abstracts); every definition is our own
text, and is_a links point to the nearest ancestor that is kept here (so "Migraine is_a
Headache" holds as in HPO, while "Hypertension is_a Abnormality of the cardiovascular system"
skips HPO's intermediate terms). xref UMLS: CUIs match sample_data/umls/MRCONSO.RRF.

OBO features exercised: header tags (format-version, data-version, subsetdef,
synonymtypedef, default-namespace, ontology, remark), [Term] with id/name/alt_id/def (one
with escaped quotes)/comment/subset/synonym (EXACT, RELATED, BROAD, NARROW, with and without
a synonym type, with and without dbxrefs)/xref/is_a (one term with two parents)/relationship,
an obsolete term with replaced_by, and a [Typedef].

Usage: python3 scripts/sample_data/make_obo.py
"""

from common import OBO_PATH

HEADER = """format-version: 1.4
data-version: bali/sample/2026-01-15
subsetdef: hposlim_core "Core clinical terminology"
synonymtypedef: abbreviation "abbreviation"
synonymtypedef: layperson "layperson term"
synonymtypedef: plural_form "plural form"
synonymtypedef: uk_spelling "UK spelling"
default-namespace: human_phenotype
ontology: hp/mini
remark: A 36-term excerpt in the shape of the Human Phenotype Ontology, made for bali's sample data. Term ids, names and synonyms follow HPO; the definitions are written for this file.
"""

ROOT = "HP:0000001"
PHENOTYPE = "HP:0000118"
CARDIO = "HP:0001626"
NERVOUS = "HP:0000707"
RESP = "HP:0002086"
METAB = "HP:0001939"
ENDO = "HP:0000818"
BLOOD = "HP:0001871"
CONSTITUTIONAL = "HP:0025142"
KIDNEY = "HP:0000077"
HEADACHE = "HP:0002315"
DM = "HP:0000819"
T2DM = "HP:0005978"
STROKE = "HP:0001297"
CKD = "HP:0012622"
GLUCOSE_INTOLERANCE = "HP:0001952"

# id, name, definition, [synonyms (text, scope, type or None)], [UMLS CUIs], [is_a], extra lines
TERMS = [
    (ROOT, "All", None, [], ["C0444868"], [], ["comment: Root of every term in this excerpt."]),
    (PHENOTYPE, "Phenotypic abnormality", "A deviation from normal morphology, physiology or behaviour.",
     [("Organ abnormality", "EXACT", None)], ["C4021819"], [ROOT], []),
    (CARDIO, "Abnormality of the cardiovascular system", "Any abnormality of the heart or the blood vessels.",
     [("Cardiovascular abnormality", "EXACT", "layperson"), ("Cardiovascular disease", "RELATED", "layperson")],
     ["C0007222"], [PHENOTYPE], ["subset: hposlim_core"]),
    (NERVOUS, "Abnormality of the nervous system", "Any abnormality of the brain, spinal cord or nerves.",
     [("Neurological abnormality", "EXACT", None)], ["C0497552"], [PHENOTYPE], ["subset: hposlim_core"]),
    (RESP, "Abnormality of the respiratory system", "Any abnormality of the airways, lungs or breathing.",
     [("Respiratory abnormality", "EXACT", None)], ["C4018871"], [PHENOTYPE], ["subset: hposlim_core"]),
    (METAB, "Abnormality of metabolism/homeostasis",
     "An abnormal level of a substance in the body, or an abnormal regulation of such a level.",
     [("Laboratory abnormality", "EXACT", "layperson"), ("Metabolism abnormality", "EXACT", "layperson")],
     ["C4021768"], [PHENOTYPE], ["subset: hposlim_core"]),
    (ENDO, "Abnormality of the endocrine system", "Any abnormality of the hormone-producing glands or their hormones.",
     [("Endocrine system disease", "RELATED", None)], ["C0014130"], [PHENOTYPE], []),
    (BLOOD, "Abnormality of blood and blood-forming tissues",
     "Any abnormality of the blood cells, the plasma or the bone marrow that makes them.",
     [("Hematological abnormality", "EXACT", None), ("Haematological abnormality", "EXACT", "uk_spelling")],
     ["C0018939"], [PHENOTYPE], []),
    (CONSTITUTIONAL, "Constitutional symptom",
     "A symptom that affects the body as a whole rather than a single organ system.", [], [], [PHENOTYPE], []),
    (KIDNEY, "Abnormality of the kidney", "Any abnormality of the structure or function of the kidneys.",
     [("Renal anomaly", "EXACT", None), ("Abnormal kidney", "EXACT", "layperson")], ["C0022658"], [PHENOTYPE], []),
    ("HP:0000822", "Hypertension",
     "Blood pressure that stays above the \\\"normal\\\" range for age and sex at repeated measurements.",
     [("Arterial hypertension", "EXACT", None), ("High blood pressure", "RELATED", "layperson"),
      ("Systemic hypertension", "EXACT", None)],
     ["C0020538"], [CARDIO], ["relationship: contributes_to HP:0001297 ! Stroke",
                              "relationship: contributes_to HP:0012622 ! Chronic kidney disease"]),
    ("HP:0001635", "Congestive heart failure",
     "Failure of the heart to pump enough blood for the needs of the body, with congestion of the lungs or tissues.",
     [("Heart failure", "EXACT", "layperson"), ("Cardiac failure", "EXACT", "layperson"),
      ("CHF", "EXACT", "abbreviation")],
     ["C0018801"], [CARDIO], []),
    ("HP:0001658", "Myocardial infarction", "Death of part of the heart muscle after its blood supply is interrupted.",
     [("Heart attack", "EXACT", "layperson"), ("MI", "EXACT", "abbreviation")], ["C0027051"], [CARDIO], []),
    ("HP:0005110", "Atrial fibrillation",
     "An irregular and usually rapid heart rhythm in which the atria quiver instead of contracting.",
     [], ["C0004238"], [CARDIO], ["relationship: contributes_to HP:0001297 ! Stroke"]),
    (STROKE, "Stroke", "Sudden loss of brain function caused by a blocked or ruptured blood vessel in the brain.",
     [("Cerebrovascular accident", "EXACT", None), ("Cerebral vascular events", "EXACT", None)],
     ["C0038454"], [CARDIO, NERVOUS], []),
    ("HP:0001250", "Seizure", "A transient episode of abnormal, excessive and synchronous activity of brain neurons.",
     [("Epileptic seizure", "EXACT", None), ("Seizures", "EXACT", "plural_form"), ("Epilepsy", "RELATED", "layperson")],
     ["C0036572"], [NERVOUS], ["alt_id: HP:0001275"]),
    (HEADACHE, "Headache", "Pain felt in any part of the head.",
     [("Headaches", "EXACT", "layperson")], ["C0018681"], [NERVOUS], []),
    ("HP:0002076", "Migraine",
     "Recurrent attacks of moderate to severe headache, often one-sided and throbbing, with nausea or sensitivity to light.",
     [("Migraine headache", "EXACT", "layperson")], ["C0149931"], [HEADACHE], []),
    ("HP:0000726", "Dementia", "A decline of memory and other cognitive abilities severe enough to impair daily life.",
     [("Progressive dementia", "EXACT", "layperson")], ["C0497327"], [NERVOUS], []),
    ("HP:0000716", "Depression", "Persistently low mood with loss of interest or pleasure.",
     [("Depressive episode", "EXACT", None), ("Depressive disorder", "RELATED", None)], ["C0011581"], [NERVOUS], []),
    ("HP:0002099", "Asthma",
     "Chronic inflammation of the airways with episodes of reversible narrowing, wheezing and breathlessness.",
     [("Bronchial asthma", "EXACT", None), ("Reactive airway disease", "RELATED", None)], ["C0004096"], [RESP], []),
    ("HP:0002094", "Dyspnea", "An uncomfortable awareness of difficult or laboured breathing.",
     [("Shortness of breath", "EXACT", "layperson"), ("Dyspnoea", "EXACT", "uk_spelling"),
      ("Breathing difficulty", "EXACT", "layperson")],
     ["C0013404"], [RESP], []),
    (GLUCOSE_INTOLERANCE, "Glucose intolerance",
     "A reduced ability to keep blood glucose in the normal range after a glucose load.",
     [("Abnormal glucose tolerance", "BROAD", None)], ["C0235401"], [METAB], ["alt_id: HP:0000833"]),
    (DM, "Diabetes mellitus", "A chronic raised blood glucose concentration caused by too little insulin or too little response to it.",
     [], ["C0011849"], [ENDO, GLUCOSE_INTOLERANCE], []),
    (T2DM, "Type II diabetes mellitus",
     "Diabetes mellitus in which the body still makes insulin but responds poorly to it, usually with onset in adulthood.",
     [("Type 2 diabetes", "EXACT", "layperson"), ("NIDDM", "EXACT", "abbreviation"),
      ("Noninsulin-dependent diabetes mellitus", "RELATED", None)],
     ["C0011860"], [DM], []),
    ("HP:0003074", "Hyperglycemia", "A blood glucose concentration above the normal range.",
     [("High blood sugar", "EXACT", "layperson"), ("Hyperglycaemia", "EXACT", "uk_spelling")],
     ["C0020456"], [METAB], []),
    ("HP:0000855", "Insulin resistance", "A reduced response of tissues to the action of insulin.",
     [], ["C0021655"], [METAB], ["relationship: contributes_to HP:0005978 ! Type II diabetes mellitus"]),
    ("HP:0002917", "Hypomagnesemia", "A magnesium concentration in the blood below the normal range.",
     [("Low blood magnesium levels", "EXACT", "layperson"), ("Hypomagnesaemia", "EXACT", "uk_spelling")],
     ["C0151723"], [METAB], []),
    ("HP:0001513", "Obesity", "Excess body fat, usually defined by a body mass index of 30 kg/m2 or more in adults.",
     [("Having too much body fat", "EXACT", "layperson")], ["C0028754"], [PHENOTYPE],
     ["relationship: contributes_to HP:0005978 ! Type II diabetes mellitus"]),
    ("HP:0001903", "Anemia", "A haemoglobin concentration or red cell mass below the normal range for age and sex.",
     [("Anaemia", "EXACT", "uk_spelling"), ("Decreased hemoglobin", "RELATED", None)], ["C0002871"], [BLOOD], []),
    ("HP:0001945", "Fever", "A body temperature above the normal range, caused by a raised set point of the hypothalamus.",
     [("Pyrexia", "EXACT", None), ("Hyperthermia", "EXACT", None)], ["C0015967"], [METAB], []),
    ("HP:0012531", "Pain", "An unpleasant sensory and emotional experience associated with actual or potential tissue damage.",
     [("Chronic pain", "NARROW", None)], ["C0030193"], [CONSTITUTIONAL], []),
    ("HP:0000093", "Proteinuria", "An increased amount of protein in the urine.",
     [("Protein in urine", "EXACT", "layperson")], ["C0033687"], [KIDNEY], []),
    (CKD, "Chronic kidney disease", "Reduced kidney function or kidney damage that lasts for three months or longer.",
     [("CKD", "EXACT", "abbreviation"), ("Loss of renal function", "RELATED", None)], ["C1561643"], [KIDNEY], []),
    ("HP:0000939", "Osteoporosis", "Reduced bone mass and deterioration of bone tissue, leading to fragile bones.",
     [], ["C0029456"], [PHENOTYPE], []),
]

OBSOLETE = """[Term]
id: HP:0000833
name: obsolete Glucose intolerance
is_obsolete: true
replaced_by: HP:0001952
"""

TYPEDEF = """[Typedef]
id: contributes_to
name: causes or contributes to condition
def: "A relation between two phenotypes in which the first makes the second more likely." [RO:0003302]
xref: RO:0003302
"""


def render():
    names = {term[0]: term[1] for term in TERMS}
    blocks = [HEADER]
    for term_id, name, definition, synonyms, cuis, parents, extra in TERMS:
        lines = ["[Term]", f"id: {term_id}", f"name: {name}"]
        lines += [line for line in extra if line.startswith(("alt_id:", "subset:"))]
        if definition:
            lines.append(f'def: "{definition}" [bali:sample_data]')
        lines += [line for line in extra if line.startswith("comment:")]
        for text, scope, kind in synonyms:
            source = " [bali:sample_data]" if kind == "layperson" else " []"
            lines.append(f'synonym: "{text}" {scope}{" " + kind if kind else ""}{source}')
        lines += [f"xref: UMLS:{cui}" for cui in cuis]
        lines += [f"is_a: {parent} ! {names[parent]}" for parent in parents]
        lines += [line for line in extra if line.startswith("relationship:")]
        blocks.append("\n".join(lines) + "\n")
    blocks.append(OBSOLETE)
    blocks.append(TYPEDEF)
    return "\n".join(blocks)


def main():
    OBO_PATH.parent.mkdir(parents=True, exist_ok=True)
    OBO_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {OBO_PATH.relative_to(OBO_PATH.parents[2])} ({len(TERMS) + 1} terms)")


if __name__ == "__main__":
    main()

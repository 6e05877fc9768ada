"""The sample corpus: invented PubMed citations, written for bali's sample data.

Every title and abstract here is our own text (no real abstract is copied); the PMIDs
(80000001-80000044) lie above the range PubMed has assigned, so they cannot be confused with
real citations. Titles and abstract sections are XML fragments exactly as they will appear in
the PubmedArticleSet files: inline markup (<i>, <b>, <sup>, <sub>, <u>, <mml:math>) and the
entities &amp; &lt; &gt; are written as such. make_pubmed.py turns these records into XML.

Fields of one record (a dict):
  pmid, file       PMID and the file it goes to ("0001", "0002" or "0003")
  version          PMID Version (default 1)
  journal          key into JOURNALS (articles) -- books use `book` instead
  year, month      publication date; `medline_date` replaces them where given
  title            ArticleTitle fragment
  sections         list of (Label, NlmCategory, text); Label None for an unstructured abstract;
                   an empty list for a record without an abstract
  authors          list of (LastName, ForeName, Initials) or ("@", CollectiveName)
  pubtypes         PublicationType names (UIs in PUBLICATION_TYPES)
  mesh             list of (descriptor UI, name, major, [(qualifier UI, name, major)])
  chemicals        list of (registry number, name, UI)
  keywords         KeywordList (Owner NOTNLM) entries
  extra            optional features: vernacular_title, other_abstract, copyright,
                   status, date_revised, version_date, language
"""

JOURNALS = {
    "endo": ("Annals of Translational Endocrinology", "Ann Transl Endocrinol", "2190-417", "United States", "101726001"),
    "resp": ("Respiratory Care Reports", "Respir Care Rep", "2367-118", "England", "101726002"),
    "infl": ("Journal of Inflammation Biology", "J Inflamm Biol", "1873-664", "Netherlands", "101726003"),
    "card": ("Clinical Cardiology Letters", "Clin Cardiol Lett", "2044-905", "England", "101726004"),
    "neuro": ("Neurology and Psychiatry Reports", "Neurol Psychiatry Rep", "2589-371", "United States", "101726005"),
    "infect": ("Infectious Disease Bulletin", "Infect Dis Bull", "1932-580", "United States", "101726006"),
    "onc": ("Oncology Practice Reviews", "Oncol Pract Rev", "2468-293", "Switzerland", "101726007"),
    "bone": ("Bone and Mineral Studies", "Bone Miner Stud", "1755-826", "England", "101726008"),
    "renal": ("Renal Medicine Today", "Renal Med Today", "2311-452", "United States", "101726009"),
    "sysbio": ("Computational Systems Biomedicine", "Comput Syst Biomed", "2640-337", "United States", "101726010"),
    "ped": ("Pediatric Hematology Notes", "Pediatr Hematol Notes", "1544-219", "Canada", "101726011"),
    "obst": ("Maternal and Perinatal Medicine", "Matern Perinat Med", "2052-764", "England", "101726012"),
    "ger": ("Zeitschrift für Hausärztliche Praxis", "Z Hausarztl Prax", "0946-352", "Germany", "101726013"),
}

PUBLICATION_TYPES = {
    "Journal Article": "D016428",
    "Randomized Controlled Trial": "D016449",
    "Multicenter Study": "D016448",
    "Observational Study": "D064888",
    "Comparative Study": "D003160",
    "Review": "D016454",
    "Editorial": "D016421",
    "Letter": "D016422",
    "English Abstract": "D004740",
    "Meta-Analysis": "D017418",
    "Clinical Trial": "D016430",
    "Case Reports": "D002363",
    "Research Support, Non-U.S. Gov't": "D013485",
}

# Check tags and frequent descriptors, reused below.
HUMANS = ("D006801", "Humans", False, [])
FEMALE = ("D005260", "Female", False, [])
MALE = ("D008297", "Male", False, [])
ADULT = ("D000328", "Adult", False, [])
AGED = ("D000368", "Aged", False, [])
MIDDLE = ("D008875", "Middle Aged", False, [])
CHILD = ("D002648", "Child", False, [])
ADOLESCENT = ("D000293", "Adolescent", False, [])
PREGNANCY = ("D011247", "Pregnancy", False, [])
RCT_TYPES = ["Journal Article", "Randomized Controlled Trial"]

# Qualifiers.
DRUG_THERAPY = ("Q000188", "drug therapy", True)
THERAPEUTIC_USE = ("Q000627", "therapeutic use", True)
ADVERSE = ("Q000009", "adverse effects", False)
BLOOD = ("Q000097", "blood", False)
EPIDEMIOLOGY = ("Q000453", "epidemiology", False)
PREVENTION = ("Q000517", "prevention &amp; control", True)
METABOLISM = ("Q000378", "metabolism", True)
IMMUNOLOGY = ("Q000276", "immunology", False)
COMPLICATIONS = ("Q000150", "complications", False)
DIAGNOSIS = ("Q000175", "diagnosis", False)
PHYSIOPATHOLOGY = ("Q000503", "physiopathology", False)
ADMIN = ("Q000008", "administration &amp; dosage", False)

ARTICLES = [
    # ------------------------------------------------------------------ pubmed26n0001.xml
    {
        "pmid": 80000001,
        "file": "0001",
        "journal": "endo",
        "year": 2024,
        "month": "Mar",
        "title": "Metformin versus early insulin in newly diagnosed type 2 diabetes: a randomised trial in primary care.",
        "sections": [
            ("BACKGROUND", "BACKGROUND",
             "Type 2 diabetes (T2DM) is usually treated first with metformin, but some guidelines favour early "
             "insulin when hyperglycaemia is severe. Whether either strategy better preserves glycaemic control "
             "in DM of recent onset is uncertain."),
            ("METHODS", "METHODS",
             "We randomly assigned 412 adults with a fasting plasma glucose ≥ 7.0 mmol/L and "
             "HbA<sub>1c</sub> between 7.5% and 11.0% to metformin (up to 2000 mg daily) or to insulin "
             "glargine for 52 weeks. The primary outcome was the change in HbA<sub>1c</sub>; secondary "
             "outcomes were body weight, hypoglycaemia and insulin resistance estimated by HOMA-IR."),
            ("RESULTS", "RESULTS",
             "HbA<sub>1c</sub> fell by 1.6 percentage points with metformin and by 1.8 points with insulin "
             "(difference 0.2; 95% CI &#8211;0.1 to 0.5). Hypoglycaemia was reported by 4% of the metformin "
             "group and 19% of the insulin group. Body weight decreased by 2.1 kg with metformin and rose by "
             "1.9 kg with insulin glargine."),
            ("CONCLUSIONS", "CONCLUSIONS",
             "In newly diagnosed DM, metformin achieved glucose control similar to early insulin, with less "
             "hypoglycaemia and without weight gain."),
        ],
        "authors": [("Okafor", "Chinedu A", "CA"), ("Lindqvist", "Maja", "M"), ("Sánchez-Ortega", "José Luis", "JL")],
        "pubtypes": RCT_TYPES + ["Multicenter Study"],
        "mesh": [
            ("D003924", "Diabetes Mellitus, Type 2", True, [DRUG_THERAPY]),
            ("D008687", "Metformin", False, [THERAPEUTIC_USE]),
            ("D000069036", "Insulin Glargine", False, [THERAPEUTIC_USE]),
            ("D006442", "Glycated Hemoglobin", False, [("Q000032", "analysis", False)]),
            ("D007003", "Hypoglycemia", False, [("Q000139", "chemically induced", False)]),
            HUMANS, ADULT, MIDDLE, FEMALE, MALE,
        ],
        "chemicals": [("9100L32L2N", "Metformin", "D008687"), ("2ZM8CX04RZ", "Insulin Glargine", "D000069036"),
                      ("0", "Glycated Hemoglobin", "D006442")],
        "keywords": ["metformin", "insulin glargine", "glycaemic control", "primary care"],
    },
    {
        "pmid": 80000002,
        "file": "0001",
        "journal": "card",
        "year": 2023,
        "month": "Nov",
        "title": "Higher versus lower mean arterial pressure targets in septic shock with chronic hypertension.",
        "sections": [
            (None, None,
             """Guidelines recommend a mean arterial pressure (MAP) of at least 65 mmHg during vasopressor
             therapy for septic shock, yet patients with long-standing hypertension may need a higher MAP to
             maintain renal perfusion. In this multicentre trial, 318 adults with sepsis and hypotension
             despite fluid resuscitation were assigned to a MAP target of 65–70 mmHg or 80–85 mmHg, titrated
             with norepinephrine. Among patients with chronic hypertension, the higher target reduced the need
             for renal replacement therapy (31% vs 42%), but atrial fibrillation was more frequent (8% vs 3%).
             Mortality at 90 days did not differ. A higher MAP target may protect kidney function in
             hypertensive patients with septic shock at the cost of more arrhythmia."""),
        ],
        "authors": [("Haddad", "Rania", "R"), ("Nowak", "Łukasz", "Ł"), ("Ferreira", "Ana Beatriz", "AB"),
                    ("O'Connell", "Siobhán", "S")],
        "pubtypes": RCT_TYPES + ["Multicenter Study"],
        "mesh": [
            ("D012772", "Shock, Septic", True, [("Q000628", "therapy", True)]),
            ("D006973", "Hypertension", False, [COMPLICATIONS]),
            ("D009638", "Norepinephrine", False, [ADMIN]),
            ("D001281", "Atrial Fibrillation", False, [("Q000209", "etiology", False)]),
            ("D001794", "Arterial Pressure", False, []),
            HUMANS, AGED, MIDDLE,
        ],
        "chemicals": [("X4W3ENH1CV", "Norepinephrine", "D009638"), ("0", "Vasoconstrictor Agents", "D014662")],
        "keywords": ["septic shock", "mean arterial pressure", "vasopressors", "acute kidney injury"],
    },
    {
        "pmid": 80000003,
        "file": "0001",
        "journal": "resp",
        "year": 2022,
        "month": "Jul",
        "title": "Inhaled corticosteroids and exacerbation risk in asthma–COPD overlap: a cohort study.",
        "sections": [
            ("OBJECTIVE", "OBJECTIVE",
             "To compare exacerbation rates in adults with asthma, chronic obstructive pulmonary disease (COPD), "
             "or features of both, according to the use of inhaled corticosteroids."),
            ("METHODS", "METHODS",
             "We followed 2,164 patients from 14 respiratory clinics for a median of 3.2 years. Lung function "
             "was measured as FEV<sub>1</sub> and the FEV<sub>1</sub>/FVC ratio; exacerbations were defined as "
             "worsening dyspnoea or cough requiring systemic corticosteroids or hospital admission."),
            ("RESULTS", "RESULTS",
             "Patients with overlap had the lowest FEV<sub>1</sub> and the highest exacerbation rate. Inhaled "
             "corticosteroids were associated with fewer exacerbations in asthma (rate ratio 0.61) and in "
             "overlap (0.74) but not in COPD without asthma features (0.97). Pneumonia was more common among "
             "COPD patients using high-dose inhaled corticosteroids."),
            ("CONCLUSIONS", "CONCLUSIONS",
             "The benefit of inhaled corticosteroids depends on the presence of asthma features; smoking "
             "history alone should not guide their use."),
        ],
        "authors": [("Van den Berg", "Pieter", "P"), ("Yılmaz", "Elif", "E"), ("Chen", "Wei", "W")],
        "pubtypes": ["Journal Article", "Observational Study"],
        "mesh": [
            ("D001249", "Asthma", True, [DRUG_THERAPY]),
            ("D029424", "Pulmonary Disease, Chronic Obstructive", True, [DRUG_THERAPY]),
            ("D000305", "Adrenal Cortex Hormones", False, [ADMIN]),
            ("D005541", "Forced Expiratory Volume", False, []),
            ("D011014", "Pneumonia", False, [("Q000139", "chemically induced", False)]),
            HUMANS, ADULT, AGED,
        ],
        "chemicals": [("0", "Adrenal Cortex Hormones", "D000305")],
        "keywords": ["asthma–COPD overlap", "inhaled corticosteroids", "exacerbation"],
    },
    {
        "pmid": 80000004,
        "file": "0001",
        "journal": "infl",
        "year": 2021,
        "month": "Feb",
        "title": "NF-<i>κ</i>B activation links TNF-α signalling to chronic inflammation in human macrophages.",
        "sections": [
            (None, None,
             "Nuclear factor kappa B (NF-κB) controls the transcription of many cytokines, and its persistent "
             "activation is a hallmark of chronic inflammation. We exposed human monocyte-derived macrophages "
             "to TNF-α (10 ng/mL) for up to 48 h and measured NF-κB nuclear translocation, interleukin-6 (IL-6) "
             "secretion and C-reactive protein (CRP) induction in co-cultured hepatocytes. TNF-α produced "
             "sustained NF-κB activity beyond 24 h, and IL-6 release rose 14-fold. Ibuprofen at therapeutic "
             "concentrations reduced IL-6 secretion by 38% but did not prevent NF-κB translocation, whereas an "
             "IKK inhibitor abolished both. These findings suggest that non-steroidal anti-inflammatory drugs "
             "(NSAIDs) dampen downstream cytokines without interrupting the upstream inflammatory loop."),
        ],
        "authors": [("Rossi", "Giulia", "G"), ("Kowalczyk", "Anna", "A"), ("Nakamura", "Kenji", "K"),
                    ("Dubois", "François", "F")],
        "pubtypes": ["Journal Article", "Research Support, Non-U.S. Gov't"],
        "mesh": [
            ("D016328", "NF-kappa B", True, [METABOLISM]),
            ("D014409", "Tumor Necrosis Factor-alpha", True, [("Q000494", "pharmacology", False)]),
            ("D007249", "Inflammation", False, [IMMUNOLOGY]),
            ("D008264", "Macrophages", False, [IMMUNOLOGY]),
            ("D015850", "Interleukin-6", False, [METABOLISM]),
            ("D007052", "Ibuprofen", False, [("Q000494", "pharmacology", False)]),
            HUMANS,
        ],
        "chemicals": [("0", "NF-kappa B", "D016328"), ("0", "Tumor Necrosis Factor-alpha", "D014409"),
                      ("0", "Interleukin-6", "D015850"), ("9007-41-4", "C-Reactive Protein", "D002097"),
                      ("WK2XYI10QM", "Ibuprofen", "D007052")],
        "keywords": ["NF-κB", "TNF-α", "macrophage", "inflammation"],
    },
    {
        "pmid": 80000005,
        "file": "0001",
        "journal": "infl",
        "year": 2022,
        "month": "Sep",
        "title": "Circulating CD4<sup>+</sup> T cells predict response to methotrexate in early rheumatoid arthritis.",
        "sections": [
            (None, None,
             "Methotrexate is the anchor drug for rheumatoid arthritis (RA), but one third of patients do not "
             "respond adequately. We measured the frequency and activation state of circulating "
             "CD4<sup>+</sup> T cells in 96 patients with early RA before starting methotrexate. A high "
             "proportion of CD4<sup>+</sup> CD28<sup>–</sup> T cells at baseline was associated with "
             "persistent arthritis and raised C-reactive protein after six months (odds ratio 3.4). Joint pain "
             "and fatigue improved less in this group. Profiling CD4<sup>+</sup> T cells may identify patients "
             "who need combination therapy with a TNF-α inhibitor such as adalimumab from the outset."),
        ],
        "authors": [("Andersen", "Søren", "S"), ("Papadopoulos", "Eleni", "E"), ("Müller", "Jürgen", "J")],
        "pubtypes": ["Journal Article", "Observational Study"],
        "mesh": [
            ("D001172", "Arthritis, Rheumatoid", True, [DRUG_THERAPY, IMMUNOLOGY]),
            ("D015496", "CD4-Positive T-Lymphocytes", True, [IMMUNOLOGY]),
            ("D008727", "Methotrexate", False, [THERAPEUTIC_USE]),
            ("D000068879", "Adalimumab", False, []),
            HUMANS, FEMALE, MALE, MIDDLE,
        ],
        "chemicals": [("YL5FZ2Y5U1", "Methotrexate", "D008727"), ("FYS6T7F842", "Adalimumab", "D000068879"),
                      ("9007-41-4", "C-Reactive Protein", "D002097")],
        "keywords": ["CD4+ T cells", "methotrexate", "biomarker"],
    },
    {
        "pmid": 80000006,
        "file": "0001",
        "journal": "obst",
        "year": 2020,
        "month": "Jan",
        "title": "Magnesium sulfate regimens for the prevention of eclampsia in women with severe pre-eclampsia.",
        "sections": [
            ("BACKGROUND", "BACKGROUND",
             "Magnesium sulfate prevents eclampsia, but the optimal duration of postpartum treatment is debated."),
            ("METHODS", "METHODS",
             "Women with severe pre-eclampsia (blood pressure ≥ 160/110 mmHg with proteinuria) were randomised "
             "after delivery to 12 or 24 hours of intravenous magnesium sulfate. Serum magnesium was measured "
             "every 6 hours."),
            ("RESULTS", "RESULTS",
             "Among 620 women, eclampsia occurred in 1 of 311 in the 12-hour group and 2 of 309 in the 24-hour "
             "group. Seizures, magnesium toxicity and oliguria were rare in both groups; women in the 12-hour "
             "group walked earlier after delivery."),
            ("CONCLUSIONS", "CONCLUSIONS",
             "A 12-hour postpartum course of magnesium sulfate appears as safe as a 24-hour course for most "
             "women with pre-eclampsia."),
        ],
        "authors": [("Mensah", "Akosua", "A"), ("Gómez", "Lucía", "L"), ("Brennan", "Aoife", "A")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D011225", "Pre-Eclampsia", True, [DRUG_THERAPY]),
            ("D004461", "Eclampsia", True, [PREVENTION]),
            ("D008278", "Magnesium Sulfate", False, [ADMIN]),
            ("D011507", "Proteinuria", False, []),
            HUMANS, FEMALE, PREGNANCY, ADULT,
        ],
        "chemicals": [("DE08037SAB", "Magnesium Sulfate", "D008278"), ("0", "Anticonvulsants", "D000927")],
        "keywords": ["pre-eclampsia", "magnesium sulfate", "postpartum"],
    },
    {
        "pmid": 80000007,
        "file": "0001",
        "journal": "renal",
        "year": 2021,
        "month": "Jun",
        "title": "Proton pump inhibitors and hypomagnesemia: a nested case–control study.",
        "sections": [
            (None, None,
             "Long-term use of proton pump inhibitors (PPIs) has been linked to hypomagnesaemia through reduced "
             "intestinal magnesium absorption. Within a cohort of 48,300 adults, we matched 1,032 cases of "
             "hypomagnesemia (serum magnesium &lt; 0.7 mmol/L) to 5,160 controls. Current PPI use for more than "
             "one year was associated with an adjusted odds ratio of 1.71 (95% CI 1.44–2.03), and the risk was "
             "higher with concomitant diuretics. Hypomagnesemia was accompanied by tachycardia or seizures in "
             "6% of cases. Clinicians should check magnesium in patients on long-term PPIs, particularly when "
             "diuretics are co-prescribed."),
        ],
        "authors": [("Kaur", "Harpreet", "H"), ("Johansson", "Erik", "E")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D054328", "Proton Pump Inhibitors", True, [ADVERSE]),
            ("D008275", "Magnesium Deficiency", True, [("Q000139", "chemically induced", True)]),
            ("D004232", "Diuretics", False, [ADVERSE]),
            ("D016022", "Case-Control Studies", False, []),
            HUMANS, AGED,
        ],
        "chemicals": [("0", "Proton Pump Inhibitors", "D054328"), ("I38ZP9992A", "Magnesium", "D008274"),
                      ("0", "Diuretics", "D004232")],
        "keywords": ["hypomagnesaemia", "proton pump inhibitors", "pharmacoepidemiology"],
    },
    {
        "pmid": 80000008,
        "file": "0001",
        "journal": "sysbio",
        "year": 2024,
        "month": "Aug",
        "title": "A quantitative phosphoproteomic map of MAP kinase signalling in insulin-resistant adipocytes.",
        "sections": [
            (None, None,
             "Insulin resistance in adipose tissue involves crosstalk between insulin signalling and "
             "stress-activated kinases. To map this crosstalk, we quantified 11,800 phosphosites in human "
             "adipocytes exposed to TNF-α or palmitate for 24 h. Mitogen-activated protein kinases (MAPK) were "
             "activated within minutes, and ERK-dependent sites on insulin receptor substrate 1 increased "
             "fourfold. Inhibiting MAP kinase kinase restored insulin-stimulated glucose uptake by 60%. We "
             "provide the resulting map as a resource and propose that MAP kinase activity is a tractable "
             "target in obesity-related insulin resistance."),
        ],
        "authors": [("Zhang", "Yiming", "Y"), ("Østergaard", "Ida", "I"), ("Patel", "Nikhil", "N"),
                    ("@", "Adipose Signalling Atlas Consortium")],
        "pubtypes": ["Journal Article", "Research Support, Non-U.S. Gov't"],
        "mesh": [
            ("D007333", "Insulin Resistance", True, []),
            ("D020928", "Mitogen-Activated Protein Kinases", True, [METABOLISM]),
            ("D017667", "Adipocytes", False, [METABOLISM]),
            ("D040901", "Proteomics", False, [("Q000379", "methods", False)]),
            ("D014409", "Tumor Necrosis Factor-alpha", False, []),
            HUMANS,
        ],
        "chemicals": [("EC 2.7.11.24", "Mitogen-Activated Protein Kinases", "D020928"),
                      ("0", "Tumor Necrosis Factor-alpha", "D014409"), ("0", "Insulin", "D007328")],
        "keywords": ["phosphoproteomics", "MAPK", "adipocyte", "insulin signalling"],
    },
    {
        "pmid": 80000009,
        "file": "0001",
        "journal": "infl",
        "year": 2023,
        "month": "May",
        "title": "Hydrogen peroxide (H<sub>2</sub>O<sub>2</sub>) flux and oxidative stress in endothelial cells exposed to high glucose.",
        "sections": [
            (None, None,
             "Reactive oxygen species (ROS) contribute to vascular complications of diabetes. We measured "
             "intracellular H<sub>2</sub>O<sub>2</sub> with a genetically encoded sensor in endothelial cells "
             "cultured in high glucose (25 mmol/L) or normal glucose (5.5 mmol/L). High glucose raised "
             "H<sub>2</sub>O<sub>2</sub> flux 2.3-fold and increased markers of oxidative stress, and the "
             "relation between glucose concentration and sensor signal was linear "
             "(<mml:math xmlns:mml=\"http://www.w3.org/1998/Math/MathML\"><mml:msup><mml:mi>R</mml:mi>"
             "<mml:mn>2</mml:mn></mml:msup><mml:mo>=</mml:mo><mml:mn>0.91</mml:mn></mml:math>). Catalase "
             "overexpression, which converts H<sub>2</sub>O<sub>2</sub> to H<sub>2</sub>O and oxygen, "
             "normalised NF-κB activity and reduced the expression of adhesion molecules. Targeting endothelial "
             "H<sub>2</sub>O<sub>2</sub> rather than ROS in general may be a more precise strategy against "
             "vascular inflammation in diabetes."),
        ],
        "authors": [("Ivanova", "Darya", "D"), ("Moreau", "Chloé", "C"), ("Adeyemi", "Tunde", "T")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D006861", "Hydrogen Peroxide", True, [METABOLISM]),
            ("D018384", "Oxidative Stress", True, []),
            ("D017382", "Reactive Oxygen Species", False, [METABOLISM]),
            ("D042783", "Endothelial Cells", False, [METABOLISM]),
            ("D005947", "Glucose", False, [("Q000494", "pharmacology", False)]),
            ("D002374", "Catalase", False, [("Q000235", "genetics", False)]),
            HUMANS,
        ],
        "chemicals": [("BBX060AN9V", "Hydrogen Peroxide", "D006861"), ("0", "Reactive Oxygen Species", "D017382"),
                      ("EC 1.11.1.6", "Catalase", "D002374"), ("IY9XDZ35W2", "Glucose", "D005947")],
        "keywords": ["hydrogen peroxide", "redox sensor", "hyperglycaemia"],
    },
    {
        "pmid": 80000010,
        "file": "0001",
        "journal": "card",
        "year": 2022,
        "month": "Dec",
        "title": "Aspirin for primary prevention of myocardial infarction: time for a reappraisal.",
        "sections": [],
        "authors": [("Whitfield", "Margaret", "M")],
        "pubtypes": ["Editorial"],
        "mesh": [
            ("D001241", "Aspirin", True, [THERAPEUTIC_USE]),
            ("D009203", "Myocardial Infarction", True, [PREVENTION]),
            ("D011322", "Primary Prevention", False, []),
            HUMANS,
        ],
        "chemicals": [("R16CO5Y76E", "Aspirin", "D001241"), ("0", "Platelet Aggregation Inhibitors", "D010975")],
        "keywords": [],
        "extra": {"status": "PubMed-not-MEDLINE"},
    },
    {
        "pmid": 80000011,
        "file": "0001",
        "journal": "card",
        "year": 2024,
        "month": "Jan",
        "title": "Warfarin versus direct oral anticoagulants for stroke prevention in atrial fibrillation and chronic kidney disease.",
        "sections": [
            ("IMPORTANCE", "BACKGROUND",
             "Patients with atrial fibrillation and advanced chronic kidney disease (CKD) were excluded from "
             "most anticoagulation trials."),
            ("OBJECTIVE", "OBJECTIVE",
             "To compare warfarin with direct oral anticoagulants in patients with atrial fibrillation and an "
             "estimated glomerular filtration rate (GFR) of 15 to 44 mL/min/1.73 m<sup>2</sup>."),
            ("DESIGN, SETTING, AND PARTICIPANTS", "METHODS",
             "Retrospective cohort study of 7,918 patients in a national claims database, 2015–2022."),
            ("MAIN OUTCOMES AND MEASURES", "METHODS", "Ischaemic stroke, major bleeding and death."),
            ("RESULTS", "RESULTS",
             "Compared with warfarin, direct oral anticoagulants were associated with a lower rate of major "
             "bleeding (hazard ratio 0.79) and a similar rate of stroke (hazard ratio 0.93). The advantage was "
             "smaller when GFR fell below 25."),
            ("CONCLUSIONS AND RELEVANCE", "CONCLUSIONS",
             "In moderate-to-severe CKD, direct oral anticoagulants were at least as effective as warfarin and "
             "caused less bleeding."),
        ],
        "authors": [("Kim", "Ji-woo", "JW"), ("Novák", "Tomáš", "T"), ("Ali", "Fatima", "F")],
        "pubtypes": ["Journal Article", "Comparative Study", "Observational Study"],
        "mesh": [
            ("D001281", "Atrial Fibrillation", True, [DRUG_THERAPY]),
            ("D051436", "Renal Insufficiency, Chronic", True, [COMPLICATIONS]),
            ("D014859", "Warfarin", False, [ADVERSE, THERAPEUTIC_USE]),
            ("D000925", "Anticoagulants", False, [ADVERSE]),
            ("D020521", "Stroke", False, [PREVENTION]),
            ("D006470", "Hemorrhage", False, [("Q000139", "chemically induced", False)]),
            HUMANS, AGED,
        ],
        "chemicals": [("5Q7ZVV76EI", "Warfarin", "D014859"), ("0", "Anticoagulants", "D000925")],
        "keywords": ["atrial fibrillation", "chronic kidney disease", "anticoagulation"],
    },
    {
        "pmid": 80000012,
        "file": "0001",
        "journal": "card",
        "year": 2023,
        "month": "Apr",
        "title": "Natriuretic peptide-guided diuretic therapy in chronic heart failure.",
        "sections": [
            (None, None,
             "In chronic heart failure, symptoms such as dyspnea and edema are poor guides to the dose of loop "
             "diuretics. We randomised 240 outpatients with heart failure and reduced ejection fraction to "
             "furosemide titration guided by brain natriuretic peptide (BNP) or by symptoms alone. After 12 "
             "months, BNP-guided care reduced hospital admissions for heart failure by 22%, although the "
             "difference in mortality was not significant. Hypokalaemia and worsening renal function were "
             "similar in both arms."),
        ],
        "authors": [("Fischer", "Lena", "L"), ("Santos", "João", "J")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D006333", "Heart Failure", True, [DRUG_THERAPY]),
            ("D020097", "Natriuretic Peptide, Brain", True, [BLOOD]),
            ("D005665", "Furosemide", False, [ADMIN]),
            ("D004232", "Diuretics", False, [ADMIN]),
            HUMANS, AGED, MALE, FEMALE,
        ],
        "chemicals": [("7LXU5N7ZO5", "Furosemide", "D005665"), ("114471-18-0", "Natriuretic Peptide, Brain", "D020097")],
        "keywords": ["heart failure", "BNP", "diuretics"],
        "extra": {"date_revised": (2024, 2, 6)},
    },
    {
        "pmid": 80000013,
        "file": "0001",
        "journal": "ger",
        "year": 2021,
        "month": "Oct",
        "title": "[Magnesium deficiency in patients with type 2 diabetes in general practice: a cross-sectional study].",
        "sections": [
            (None, None,
             "Hypomagnesemia is common in type 2 diabetes and may worsen insulin resistance. In 27 general "
             "practices in Bavaria, we measured serum magnesium in 1,146 patients with type 2 diabetes. "
             "Hypomagnesemia (&lt; 0.75 mmol/L) was found in 19.8% and was associated with higher "
             "HbA<sub>1c</sub>, the use of proton pump inhibitors and the use of diuretics. Routine measurement "
             "of magnesium should be considered in patients with type 2 diabetes who take these drugs."),
        ],
        "authors": [("Weiß", "Friederike", "F"), ("Schäfer", "Matthias", "M"), ("Grün", "Bärbel", "B")],
        "pubtypes": ["English Abstract", "Journal Article"],
        "mesh": [
            ("D003924", "Diabetes Mellitus, Type 2", True, [BLOOD]),
            ("D008275", "Magnesium Deficiency", True, [EPIDEMIOLOGY]),
            ("D008274", "Magnesium", False, [BLOOD]),
            ("D005858", "Germany", False, [EPIDEMIOLOGY]),
            ("D058005", "General Practice", False, []),
            HUMANS, AGED, MIDDLE,
        ],
        "chemicals": [("I38ZP9992A", "Magnesium", "D008274")],
        "keywords": [],
        "extra": {
            "language": "ger",
            "vernacular_title": "Magnesiummangel bei Patienten mit Typ-2-Diabetes in der Hausarztpraxis: eine Querschnittsstudie.",
            "other_abstract": (
                "Eine Hypomagnesiämie ist bei Typ-2-Diabetes häufig und kann die Insulinresistenz verstärken. "
                "In 27 Hausarztpraxen in Bayern wurde das Serum-Magnesium bei 1146 Patienten gemessen. Eine "
                "Hypomagnesiämie (&lt; 0,75 mmol/l) fand sich bei 19,8 % und war mit einem höheren "
                "HbA<sub>1c</sub>-Wert, der Einnahme von Protonenpumpenhemmern und von Diuretika assoziiert."
            ),
        },
    },
    {
        "pmid": 80000014,
        "file": "0001",
        "journal": "neuro",
        "year": 2024,
        "month": "Jun",
        "title": "Plasma amyloid-β ratios and cognitive decline in Alzheimer's disease treated with donepezil.",
        "sections": [
            (None, None,
             "Blood-based biomarkers could simplify the diagnosis of Alzheimer's disease. We measured the "
             "plasma Aβ42/Aβ40 ratio in 284 patients with mild Alzheimer disease starting donepezil and in 150 "
             "cognitively unimpaired controls. A low ratio identified patients with cerebral Aβ deposition with "
             "an area under the curve of 0.86. During 24 months, patients in the lowest tertile declined faster "
             "on the cognitive subscale despite donepezil, and progression to moderate dementia was more "
             "frequent (hazard ratio 1.9). Depression at baseline did not modify the association. Plasma "
             "amyloid-β ratios may help to stratify patients in trials of symptomatic treatment."),
        ],
        "authors": [("Lefèvre", "Hélène", "H"), ("Byrne", "Ciarán", "C"), ("Tanaka", "Yui", "Y")],
        "pubtypes": ["Journal Article", "Observational Study"],
        "mesh": [
            ("D000544", "Alzheimer Disease", True, [BLOOD, DRUG_THERAPY]),
            ("D016229", "Amyloid beta-Peptides", True, [BLOOD]),
            ("D000077265", "Donepezil", False, [THERAPEUTIC_USE]),
            ("D003072", "Cognitive Dysfunction", False, []),
            HUMANS, AGED,
        ],
        "chemicals": [("0", "Amyloid beta-Peptides", "D016229"), ("8SSC91326P", "Donepezil", "D000077265")],
        "keywords": ["amyloid-β", "blood biomarker", "Alzheimer's disease"],
    },
    {
        "pmid": 80000015,
        "file": "0001",
        "journal": "neuro",
        "year": 2022,
        "month": "Mar",
        "title": "Sertraline for depression in patients with coronary artery disease: a pragmatic trial.",
        "sections": [
            (None, None,
             "Depression is common after myocardial infarction and in stable coronary artery disease (CAD), and "
             "it predicts further cardiac events. Selective serotonin reuptake inhibitors (SSRIs) are considered "
             "safe in heart disease, but evidence for their benefit on mood in this population is mixed. We "
             "randomised 350 patients with CAD and major depression to sertraline 50–200 mg daily or placebo "
             "for 24 weeks. Depressive symptoms improved <b>more</b> with sertraline (difference 2.9 points on "
             "a 27-point scale), and anxiety scores also fell. Rates of bleeding and QT prolongation were "
             "similar. <u>Sertraline</u> is a reasonable first choice for depression in patients with CAD."),
        ],
        "authors": [("Goldberg", "Miriam", "M"), ("Oyelaran", "Folake", "F"), ("Horváth", "Zsófia", "Z")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D003863", "Depression", True, [DRUG_THERAPY]),
            ("D003324", "Coronary Artery Disease", True, [COMPLICATIONS]),
            ("D020280", "Sertraline", False, [THERAPEUTIC_USE]),
            ("D017367", "Selective Serotonin Reuptake Inhibitors", False, [THERAPEUTIC_USE]),
            HUMANS, MIDDLE, AGED,
        ],
        "chemicals": [("QUC7NX6WMB", "Sertraline", "D020280"),
                      ("0", "Selective Serotonin Reuptake Inhibitors", "D017367")],
        "keywords": ["depression", "coronary artery disease", "SSRI"],
    },
    {
        "pmid": 80000016,
        "file": "0001",
        "journal": "ped",
        "year": 2019,
        "medline_date": "2019 Nov-Dec",
        "title": "Cold exposure and the common cold in schoolchildren: a prospective diary study.",
        "sections": [
            (None, None,
             "Folk wisdom holds that cold weather causes colds, but this kind of claim is rarely tested "
             "directly. Over two winters, parents of 212 schoolchildren recorded daily outdoor temperature "
             "exposure and symptoms of the common cold. Each child contributed a median of 96 diary days. "
             "Episodes of cold symptoms, with cough, fever or headache, were 1.4 times more frequent in the week "
             "after a day spent mostly outdoors below 0 °C. Adjustment for school holidays and household size "
             "weakened but did not remove the association. Short spells of cold may modestly increase "
             "susceptibility to upper respiratory infection in children."),
        ],
        "authors": [("Lindgren", "Astrid", "A"), ("Mäkinen", "Ville", "V")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D003139", "Common Cold", True, [EPIDEMIOLOGY]),
            ("D003080", "Cold Temperature", True, [ADVERSE]),
            ("D012141", "Respiratory Tract Infections", False, []),
            ("D011446", "Prospective Studies", False, []),
            HUMANS, CHILD, FEMALE, MALE,
        ],
        "chemicals": [],
        "keywords": ["common cold", "temperature", "children"],
    },
    {
        "pmid": 80000017,
        "file": "0001",
        "journal": "card",
        "year": 2023,
        "month": "Sep",
        "title": "Takotsubo cardiomyopathy after emotional stress: clinical course in 112 patients.",
        "sections": [
            (None, None,
             "Takotsubo cardiomyopathy, also called stress cardiomyopathy or \"broken heart\" syndrome, mimics "
             "acute myocardial infarction but shows no obstructive coronary artery disease. We reviewed 112 "
             "consecutive patients, 91% of them women, admitted with this diagnosis between 2012 and 2022. An "
             "emotional trigger was identified in 58% and a physical trigger, such as an asthma attack or "
             "surgery, in 29%. Heart failure developed in 21% and cardiogenic shock in 6%; left ventricular "
             "function recovered in all survivors within three months. Recurrence occurred in 4%. Although "
             "usually reversible, \"broken heart\" syndrome carries a substantial early risk of heart failure."),
        ],
        "authors": [("Suzuki", "Haruka", "H"), ("Russo", "Marco", "M"), ("Nielsen", "Freja", "F")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D054549", "Takotsubo Cardiomyopathy", True, [("Q000209", "etiology", True)]),
            ("D013315", "Stress, Psychological", False, [COMPLICATIONS]),
            ("D006333", "Heart Failure", False, [("Q000209", "etiology", False)]),
            ("D012770", "Shock, Cardiogenic", False, []),
            HUMANS, FEMALE, AGED,
        ],
        "chemicals": [],
        "keywords": ["takotsubo", "stress cardiomyopathy", "broken heart syndrome"],
    },
    {
        "pmid": 80000018,
        "file": "0001",
        "journal": "infl",
        "year": 2020,
        "month": "Aug",
        "title": "Paradoxical psoriasis during anti-TNF therapy for Crohn's disease.",
        "sections": [
            (None, None,
             "Biologic agents that block tumour necrosis factor alpha are effective in Crohn's disease and other "
             "forms of inflammatory bowel disease (IBD), yet some patients develop new psoriasis during "
             "treatment. In a registry of 1,487 patients with IBD treated with infliximab or adalimumab, "
             "paradoxical psoriasis occurred in 5.2% after a median of 11 months. Smoking and a higher body "
             "mass index (BMI) were independent risk factors. Most lesions responded to topical "
             "corticosteroids; 18% of affected patients switched to an interleukin-12/23 inhibitor. "
             "Dermatological review should be part of the follow-up of patients receiving anti-TNF agents."),
        ],
        "authors": [("Ó Briain", "Cathal", "C"), ("Dąbrowska", "Zofia", "Z"), ("Reyes", "Camila", "C")],
        "pubtypes": ["Journal Article", "Observational Study"],
        "mesh": [
            ("D011565", "Psoriasis", True, [("Q000139", "chemically induced", True)]),
            ("D003424", "Crohn Disease", True, [DRUG_THERAPY]),
            ("D000069285", "Infliximab", False, [ADVERSE]),
            ("D000068879", "Adalimumab", False, [ADVERSE]),
            ("D015992", "Body Mass Index", False, []),
            HUMANS, ADULT,
        ],
        "chemicals": [("B72HH48FLU", "Infliximab", "D000069285"), ("FYS6T7F842", "Adalimumab", "D000068879"),
                      ("0", "Tumor Necrosis Factor-alpha", "D014409")],
        "keywords": ["paradoxical psoriasis", "anti-TNF", "inflammatory bowel disease"],
    },
    {
        "pmid": 80000019,
        "file": "0001",
        "journal": "infect",
        "year": 2021,
        "month": "Nov",
        "title": "Shorter rifampin-based regimens for latent <i>Mycobacterium tuberculosis</i> infection in household contacts.",
        "sections": [
            (None, None,
             "Treatment of latent infection with Mycobacterium tuberculosis prevents progression to active "
             "tuberculosis, but nine months of isoniazid is poorly completed. We compared four months of daily "
             "rifampin with nine months of isoniazid in 1,320 household contacts of patients with pulmonary "
             "tuberculosis. Treatment completion was 81% with rifampin and 63% with isoniazid. Active "
             "tuberculosis developed in 3 contacts in the rifampin group and 5 in the isoniazid group over 28 "
             "months. Hepatotoxicity was less frequent with rifampin. A four-month rifampin regimen is an "
             "effective and better-tolerated alternative."),
        ],
        "authors": [("Mthembu", "Sipho", "S"), ("Nguyễn", "Thị Hương", "TH"), ("Castillo", "Diego", "D")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D055985", "Latent Tuberculosis", True, [DRUG_THERAPY]),
            ("D012293", "Rifampin", True, [ADMIN]),
            ("D007538", "Isoniazid", False, [ADMIN]),
            ("D009169", "Mycobacterium tuberculosis", False, []),
            ("D014397", "Tuberculosis, Pulmonary", False, [("Q000869", "transmission", False)]),
            HUMANS, ADULT, CHILD,
        ],
        "chemicals": [("VJT6J7R4TR", "Rifampin", "D012293"), ("V83O1VOZ8L", "Isoniazid", "D007538"),
                      ("0", "Antitubercular Agents", "D000995")],
        "keywords": ["latent tuberculosis", "rifampin", "isoniazid"],
    },
    {
        "pmid": 80000020,
        "file": "0001",
        "journal": "infect",
        "year": 2021,
        "month": "Mar",
        "title": "Dexamethasone and mortality in hospitalised adults with COVID-19 pneumonia.",
        "sections": [
            (None, None,
             "Severe COVID-19 is driven partly by a dysregulated host inflammatory response to SARS-CoV-2. In "
             "this observational study of 2,046 adults admitted with COVID-19 pneumonia to 9 hospitals, 1,102 "
             "received dexamethasone 6 mg daily for up to 10 days. Among patients requiring supplemental "
             "oxygen, 28-day mortality was 19.4% with dexamethasone and 25.7% without (adjusted hazard ratio "
             "0.71). No benefit was seen in patients not receiving oxygen. Hyperglycaemia requiring insulin "
             "occurred in 14% of treated patients, most often in those with diabetes. Fever, cough and dyspnea "
             "at admission did not predict response."),
        ],
        "authors": [("Bianchi", "Luca", "L"), ("Al-Sayed", "Omar", "O"), ("Kovács", "Réka", "R")],
        "pubtypes": ["Journal Article", "Observational Study", "Multicenter Study"],
        "mesh": [
            ("D000086382", "COVID-19", True, [DRUG_THERAPY, ("Q000401", "mortality", False)]),
            ("D003907", "Dexamethasone", True, [THERAPEUTIC_USE]),
            ("D000086402", "SARS-CoV-2", False, []),
            ("D011014", "Pneumonia", False, [DRUG_THERAPY]),
            HUMANS, ADULT, AGED,
        ],
        "chemicals": [("7S5I7G3JQL", "Dexamethasone", "D003907"), ("S88TT14065", "Oxygen", "D010100")],
        "keywords": ["COVID-19", "corticosteroids", "dexamethasone"],
    },
    {
        "pmid": 80000021,
        "file": "0001",
        "journal": "onc",
        "year": 2020,
        "month": "May",
        "title": "Ten versus five years of adjuvant tamoxifen in premenopausal breast cancer.",
        "sections": [
            (None, None,
             "Extended endocrine therapy may further reduce recurrence of oestrogen receptor-positive breast "
             "cancer. We followed 3,420 premenopausal women who had completed five years of tamoxifen and were "
             "randomised to stop or to continue for five more years. At 15 years, recurrence was <b>17.2%</b> "
             "with ten years and <b>21.0%</b> with five years of tamoxifen, and breast cancer mortality was "
             "9.8% versus 12.1%. Endometrial cancer and venous thromboembolism were more frequent with extended "
             "treatment (absolute increase &lt; 1%). For women with a recurrence risk ≥ 10%, ten years of "
             "tamoxifen offers a net benefit."),
        ],
        "authors": [("Eriksson", "Karin", "K"), ("Abubakar", "Hauwa", "H"), ("Walsh", "Deirdre", "D")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D001943", "Breast Neoplasms", True, [DRUG_THERAPY]),
            ("D013629", "Tamoxifen", True, [ADMIN]),
            ("D054556", "Venous Thromboembolism", False, [("Q000139", "chemically induced", False)]),
            ("D011285", "Premenopause", False, []),
            HUMANS, FEMALE, ADULT,
        ],
        "chemicals": [("094ZI81Y45", "Tamoxifen", "D013629"), ("0", "Antineoplastic Agents, Hormonal", "D000903")],
        "keywords": ["tamoxifen", "adjuvant endocrine therapy", "breast cancer"],
        "extra": {"copyright": "Copyright © 2020 The Authors. Published by Sample Medical Press."},
    },
    {
        "pmid": 80000022,
        "file": "0001",
        "journal": "onc",
        "year": 2022,
        "month": "Oct",
        "title": "EGFR mutation testing in never-smokers with non-small cell lung cancer.",
        "sections": [
            (None, None,
             "Activating mutations of the epidermal growth factor receptor (EGFR) are frequent in non-small cell "
             "lung cancer (NSCLC) arising in people who have never smoked. We tested tumour samples from 612 "
             "patients with advanced NSCLC; 41% of never-smokers and 9% of current or former smokers carried an "
             "EGFR mutation. Among patients with a mutation, first-line EGFR tyrosine kinase inhibitors "
             "prolonged progression-free survival compared with platinum chemotherapy (11.9 vs 5.6 months). "
             "Smoking history should not be used to decide who is tested: one in eleven smokers with lung "
             "cancer had a targetable mutation."),
        ],
        "authors": [("Wang", "Xiaoling", "X"), ("Fernández", "Álvaro", "Á")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D002289", "Carcinoma, Non-Small-Cell Lung", True, [("Q000235", "genetics", True)]),
            ("D008175", "Lung Neoplasms", True, [("Q000235", "genetics", True)]),
            ("D066246", "ErbB Receptors", False, [("Q000235", "genetics", False)]),
            ("D012907", "Smoking", False, []),
            HUMANS, MALE, FEMALE,
        ],
        "chemicals": [("EC 2.7.10.1", "EGFR protein, human", "C512478"), ("0", "Protein Kinase Inhibitors", "D047428")],
        "keywords": ["EGFR", "never-smokers", "NSCLC"],
    },
    {
        "pmid": 80000023,
        "file": "0001",
        "journal": "neuro",
        "year": 2019,
        "month": "Apr",
        "title": "Sumatriptan nasal spray for acute migraine in adolescents.",
        "sections": [
            (None, None,
             "Migraine is a leading cause of headache-related disability in adolescents, and oral triptans are "
             "slow to act when nausea and vomiting are present. In a randomised, double-blind trial, 428 "
             "adolescents aged 12–17 years with migraine treated one attack with sumatriptan nasal spray 10 mg "
             "or placebo. Freedom from headache pain at 2 hours was reported by 39% with sumatriptan and 24% "
             "with placebo. Nausea was less frequent with sumatriptan, and taste disturbance was the commonest "
             "adverse event. Sumatriptan nasal spray is an effective option for adolescents with migraine."),
        ],
        "authors": [("Hoffmann", "Katrin", "K"), ("Ramírez", "Sofía", "S")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D008881", "Migraine Disorders", True, [DRUG_THERAPY]),
            ("D017311", "Sumatriptan", True, [ADMIN]),
            ("D000280", "Administration, Intranasal", False, []),
            HUMANS, ADOLESCENT, CHILD,
        ],
        "chemicals": [("8R78F6L9VO", "Sumatriptan", "D017311")],
        "keywords": ["migraine", "triptan", "adolescents"],
    },
    {
        "pmid": 80000024,
        "file": "0001",
        "journal": "bone",
        "year": 2023,
        "month": "Feb",
        "title": "Vitamin D and calcium supplementation and hip fracture in older women with osteoporosis.",
        "sections": [
            (None, None,
             "Vitamin D deficiency is common in older women and may contribute to bone loss and falls. We pooled "
             "individual data from 7 trials (n = 11,204) of daily vitamin D<sub>3</sub> with or without calcium "
             "in women aged ≥ 65 years. Vitamin D with calcium reduced hip fractures by 16% (hazard ratio "
             "0.84), whereas vitamin D alone did not. Bone mineral density (BMD) at the femoral neck increased "
             "by 1.1% at 2 years. Hypercalcaemia and kidney stones were uncommon. Combined supplementation is "
             "reasonable in older women with osteoporosis or low BMD who have little exposure to sunlight."),
        ],
        "authors": [("Thorsen", "Ingrid", "I"), ("Costa", "Beatriz", "B"), ("Ahmed", "Samira", "S")],
        "pubtypes": ["Journal Article", "Meta-Analysis"],
        "mesh": [
            ("D010024", "Osteoporosis", True, [DRUG_THERAPY]),
            ("D006620", "Hip Fractures", True, [PREVENTION]),
            ("D002762", "Cholecalciferol", False, [ADMIN]),
            ("D002118", "Calcium", False, [ADMIN]),
            ("D015519", "Bone Density", False, [("Q000187", "drug effects", False)]),
            HUMANS, FEMALE, AGED,
        ],
        "chemicals": [("1C6V77QF41", "Cholecalciferol", "D002762"), ("SY7Q814VUP", "Calcium", "D002118")],
        "keywords": ["vitamin D", "hip fracture", "individual participant data"],
    },
    {
        "pmid": 80000025,
        "file": "0001",
        "journal": "renal",
        "year": 2024,
        "month": "May",
        "title": "Proteinuria &amp; progression of chronic kidney disease in type 2 diabetes: ACE inhibitors vs. usual care.",
        "sections": [
            (None, None,
             "Albuminuria &gt; 300 mg/g and a falling estimated glomerular filtration rate identify patients "
             "with diabetic kidney disease at high risk of progression to kidney failure. In 508 patients with "
             "type 2 diabetes, CKD stage 3–4 and proteinuria, we compared lisinopril titrated to 40 mg daily "
             "with usual care. Over 3 years the annual decline in GFR was 2.1 vs 4.0 mL/min/1.73 m<sup>2</sup> "
             "(p &lt; 0.001), and proteinuria fell by 41%. Hyperkalaemia &gt; 6.0 mmol/L occurred in 4% of "
             "patients on lisinopril. ACE inhibitors slow the decline of kidney function in proteinuric CKD "
             "&amp; should be continued unless potassium or creatinine rise sharply."),
        ],
        "authors": [("Banerjee", "Arjun", "A"), ("Leclerc", "Émilie", "É"), ("Osei", "Kwame", "K")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D003928", "Diabetic Nephropathies", True, [DRUG_THERAPY]),
            ("D051436", "Renal Insufficiency, Chronic", True, [DRUG_THERAPY]),
            ("D000806", "Angiotensin-Converting Enzyme Inhibitors", False, [THERAPEUTIC_USE]),
            ("D017706", "Lisinopril", False, [THERAPEUTIC_USE]),
            ("D011507", "Proteinuria", False, [DRUG_THERAPY]),
            ("D006947", "Hyperkalemia", False, [("Q000139", "chemically induced", False)]),
            HUMANS, MIDDLE, AGED,
        ],
        "chemicals": [("0", "Angiotensin-Converting Enzyme Inhibitors", "D000806"),
                      ("E7199S1YWR", "Lisinopril", "D017706"), ("RWP5GA015D", "Potassium", "D011188")],
        "keywords": ["albuminuria", "ACE inhibitors", "diabetic kidney disease"],
    },
    # ------------------------------------------------------------------ pubmed26n0002.xml.gz
    {
        "pmid": 80000026,
        "file": "0002",
        "journal": "ped",
        "year": 2022,
        "month": "Jun",
        "title": "Minimal residual disease and relapse in childhood acute lymphoblastic leukaemia.",
        "sections": [
            (None, None,
             "Acute lymphoblastic leukemia (ALL) is the most common cancer in children. We measured minimal "
             "residual disease by flow cytometry at the end of induction in 734 children with ALL treated on a "
             "single protocol. Almost all patients reached morphological remission, but relapse occurred in 14% "
             "of those with detectable residual disease compared with 4% of those without. Not all relapses "
             "were predicted: 38% occurred in children with undetectable disease at the end of induction. "
             "Overall survival at 5 years was 91%. Residual disease testing after induction should guide "
             "treatment intensity in ALL, but it does not replace other risk factors."),
        ],
        "authors": [("Petrović", "Ana", "A"), ("Kaya", "Mehmet", "M"), ("Lund", "Henrik", "H")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D054198", "Precursor Cell Lymphoblastic Leukemia-Lymphoma", True, [DIAGNOSIS]),
            ("D018365", "Neoplasm, Residual", True, []),
            ("D012008", "Recurrence", False, []),
            HUMANS, CHILD, ADOLESCENT,
        ],
        "chemicals": [],
        "keywords": ["acute lymphoblastic leukaemia", "minimal residual disease"],
    },
    {
        "pmid": 80000027,
        "file": "0002",
        "journal": "endo",
        "year": 2023,
        "month": "Jul",
        "title": "SGLT2 inhibitors and weight loss in obese adults with type 2 diabetes.",
        "sections": [
            (None, None,
             "Obesity and insulin resistance drive the progression of type 2 diabetes. In a 26-week trial, 394 "
             "adults with type 2 diabetes and a body mass index of 30–45 kg/m<sup>2</sup> on metformin were "
             "assigned to an SGLT2 inhibitor or to a sulfonylurea. Body weight fell by 3.8 kg with the SGLT2 "
             "inhibitor and rose by 1.2 kg with the sulfonylurea, with similar reductions in HbA<sub>1c</sub>. "
             "Genital mycotic infections occurred in 7% of patients receiving the SGLT2 inhibitor, and "
             "hypoglycemia in 11% of those receiving the sulfonylurea. SGLT2 inhibitors are preferable when "
             "weight loss is a goal."),
        ],
        "authors": [("Martins", "Paulo", "P"), ("Ng", "Mei Ling", "ML")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D003924", "Diabetes Mellitus, Type 2", True, [DRUG_THERAPY]),
            ("D000077203", "Sodium-Glucose Transporter 2 Inhibitors", True, [THERAPEUTIC_USE]),
            ("D009765", "Obesity", False, [DRUG_THERAPY]),
            ("D013453", "Sulfonylurea Compounds", False, [ADVERSE]),
            ("D015431", "Weight Loss", False, [("Q000187", "drug effects", False)]),
            HUMANS, ADULT, MIDDLE,
        ],
        "chemicals": [("0", "Sodium-Glucose Transporter 2 Inhibitors", "D000077203"),
                      ("0", "Sulfonylurea Compounds", "D013453"), ("9100L32L2N", "Metformin", "D008687")],
        "keywords": ["SGLT2 inhibitors", "obesity", "weight loss"],
    },
    {
        "pmid": 80000028,
        "file": "0002",
        "journal": "obst",
        "year": 2021,
        "month": "Dec",
        "title": "Intravenous versus oral iron for iron deficiency anaemia in pregnancy.",
        "sections": [
            (None, None,
             "Iron deficiency anemia affects up to a quarter of pregnant women and is associated with preterm "
             "birth and maternal fatigue. We randomised 450 women at 24–28 weeks' gestation with hemoglobin "
             "80–105 g/L and ferritin &lt; 30 µg/L to a single infusion of ferric carboxymaltose or to oral "
             "ferrous sulfate twice daily. At 4 weeks, hemoglobin rose by 18 g/L with intravenous iron and 10 "
             "g/L with oral iron. Fatigue scores improved more with intravenous iron. Gastrointestinal side "
             "effects were reported by 9% and 31% of women respectively. Intravenous iron corrects anemia in "
             "pregnancy faster and is better tolerated."),
        ],
        "authors": [("Okeke", "Ngozi", "N"), ("Svensson", "Linnea", "L"), ("Ruiz", "Pilar", "P")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D018798", "Anemia, Iron-Deficiency", True, [DRUG_THERAPY]),
            ("D011251", "Pregnancy Complications, Hematologic", True, [DRUG_THERAPY]),
            ("D007501", "Iron", False, [ADMIN]),
            ("D005293", "Ferritins", False, [BLOOD]),
            HUMANS, FEMALE, PREGNANCY, ADULT,
        ],
        "chemicals": [("E1UOL152H7", "Iron", "D007501"), ("0", "Ferritins", "D005293"),
                      ("9008-02-0", "Ferric carboxymaltose", "C000603045")],
        "keywords": ["iron deficiency", "pregnancy", "ferric carboxymaltose"],
    },
    {
        "pmid": 80000029,
        "file": "0002",
        "journal": "infect",
        "year": 2024,
        "month": "Jan",
        "title": "High-dose influenza vaccine and hospitalisation for pneumonia in adults aged 65 years or older.",
        "sections": [
            (None, None,
             "Influenza causes substantial morbidity in older adults, whose response to standard vaccines is "
             "weak. In a pragmatic trial across two seasons, 31,989 adults aged 65 years or older were "
             "randomised to high-dose or standard-dose influenza vaccine. Laboratory-confirmed influenza "
             "occurred in 1.4% and 1.9% respectively. High-dose vaccination also reduced hospitalisation for "
             "pneumonia by 12% and for cardiorespiratory events by 9%. Among vaccinated patients who developed "
             "influenza, early oseltamivir shortened fever by a median of one day. Local reactions were more "
             "frequent with the high-dose vaccine but were mild."),
        ],
        "authors": [("Jensen", "Mette", "M"), ("@", "Senior Influenza Vaccine Trial Group")],
        "pubtypes": RCT_TYPES + ["Multicenter Study"],
        "mesh": [
            ("D007252", "Influenza Vaccines", True, [ADMIN]),
            ("D007251", "Influenza, Human", True, [PREVENTION]),
            ("D011014", "Pneumonia", False, [PREVENTION]),
            ("D053139", "Oseltamivir", False, [THERAPEUTIC_USE]),
            HUMANS, AGED, ("D000369", "Aged, 80 and over", False, []),
        ],
        "chemicals": [("0", "Influenza Vaccines", "D007252"), ("20O93L6F9H", "Oseltamivir", "D053139")],
        "keywords": ["influenza", "high-dose vaccine", "older adults"],
    },
    {
        "pmid": 80000030,
        "file": "0002",
        "journal": "bone",
        "year": 2020,
        "month": "Sep",
        "title": "Topical versus oral ibuprofen for knee osteoarthritis pain in older adults.",
        "sections": [
            (None, None,
             "Oral non-steroidal anti-inflammatory drugs relieve osteoarthritis pain but cause gastrointestinal "
             "bleeding and kidney injury in older people. We randomised 282 adults aged ≥ 50 years with knee "
             "osteoarthritis to topical ibuprofen gel or oral ibuprofen 400 mg three times daily for 12 weeks. "
             "Reductions in knee pain were equivalent (difference 1.9 points on a 100-point scale). Minor "
             "gastrointestinal complaints were more common with oral ibuprofen, and raised blood pressure or "
             "reduced GFR occurred only in the oral group. Acetaminophen use for breakthrough pain was similar. "
             "Topical ibuprofen is a safer first choice for knee osteoarthritis."),
        ],
        "authors": [("Pereira", "Mariana", "M"), ("Hughes", "Gareth", "G"), ("Sato", "Takeshi", "T")],
        "pubtypes": RCT_TYPES + ["Comparative Study"],
        "mesh": [
            ("D020370", "Osteoarthritis, Knee", True, [DRUG_THERAPY]),
            ("D007052", "Ibuprofen", True, [ADMIN, ADVERSE]),
            ("D000287", "Administration, Topical", False, []),
            ("D006471", "Gastrointestinal Hemorrhage", False, [("Q000139", "chemically induced", False)]),
            HUMANS, AGED,
        ],
        "chemicals": [("WK2XYI10QM", "Ibuprofen", "D007052"), ("362O9ITL9D", "Acetaminophen", "D000082")],
        "keywords": ["knee osteoarthritis", "topical NSAID", "ibuprofen"],
    },
    {
        "pmid": 80000031,
        "file": "0002",
        "journal": "neuro",
        "year": 2021,
        "month": "Jul",
        "title": "Levetiracetam versus valproate as first monotherapy for generalised epilepsy.",
        "sections": [
            (None, None,
             "Valproate is highly effective for generalised epilepsy but is teratogenic, and alternatives are "
             "needed for women who may become pregnant. In this open-label trial, 520 patients with newly "
             "diagnosed generalised epilepsy were randomised to levetiracetam or valproate. Twelve-month "
             "remission from seizures was achieved by 58% with levetiracetam and 69% with valproate. Treatment "
             "failure due to inadequate seizure control was more common with levetiracetam, whereas weight gain "
             "and tremor were more frequent with valproate. Depression and irritability were reported by 11% "
             "of patients taking levetiracetam. Valproate remains the most effective option, but levetiracetam "
             "is a reasonable alternative when pregnancy is possible."),
        ],
        "authors": [("Oduya", "Benedicta", "B"), ("Krüger", "Tobias", "T")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D004829", "Epilepsy, Generalized", True, [DRUG_THERAPY]),
            ("D000077287", "Levetiracetam", True, [THERAPEUTIC_USE]),
            ("D014635", "Valproic Acid", True, [THERAPEUTIC_USE]),
            ("D000927", "Anticonvulsants", False, [THERAPEUTIC_USE]),
            HUMANS, ADOLESCENT, ADULT,
        ],
        "chemicals": [("44YRR34555", "Levetiracetam", "D000077287"), ("614OI1Z5WI", "Valproic Acid", "D014635"),
                      ("0", "Anticonvulsants", "D000927")],
        "keywords": ["epilepsy", "valproate", "levetiracetam"],
    },
    {
        "pmid": 80000032,
        "file": "0002",
        "book": {
            "title": "Clinical Primer Series",
            "publisher": "Sample Medical Press",
            "location": "Boston (MA)",
            "accession": "NBK800032",
            "chapter": "diabetes-type-2",
            "editors": [("Hartley", "Ruth", "R"), ("Mwangi", "Joseph", "J")],
        },
        "year": 2025,
        "month": "Jan",
        "title": "Type 2 Diabetes Mellitus",
        "sections": [
            ("INTRODUCTION", "UNASSIGNED",
             "Type 2 diabetes mellitus is a chronic metabolic disorder characterised by insulin resistance and "
             "progressive failure of insulin secretion, leading to hyperglycemia. It accounts for about 90% of "
             "all cases of diabetes and is closely linked to obesity, physical inactivity and ageing."),
            ("SCOPE", "UNASSIGNED",
             "Long-term complications include coronary artery disease, stroke, diabetic retinopathy, diabetic "
             "nephropathy and neuropathy. This chapter reviews the diagnosis of type 2 diabetes mellitus with "
             "fasting glucose, oral glucose tolerance testing and HbA<sub>1c</sub>, outlines first-line "
             "treatment with lifestyle change and metformin, and summarises when to add SGLT2 inhibitors, GLP-1 "
             "receptor agonists or insulin."),
        ],
        "authors": [("Mwangi", "Joseph", "J"), ("Lindqvist", "Maja", "M")],
        "pubtypes": ["Review"],
        "mesh": [],
        "chemicals": [],
        "keywords": [],
    },
    {
        "pmid": 80000033,
        "file": "0002",
        "journal": "card",
        "year": 2024,
        "month": "Oct",
        "title": "Atorvastatin 80 mg versus 10 mg after acute coronary syndrome: LDL cholesterol targets revisited.",
        "sections": [
            (None, None,
             "Lowering LDL cholesterol reduces recurrent events in coronary artery disease, but the benefit of "
             "intensive statin therapy in older patients is debated. We randomised 4,162 patients aged 70 years "
             "or older with a recent myocardial infarction or unstable angina to atorvastatin 80 mg or 10 mg "
             "daily. Mean LDL cholesterol on treatment was 1.6 and 2.4 mmol/L. Over 4 years, major "
             "cardiovascular events occurred in 11.9% and 14.3% (hazard ratio 0.82). Myopathy and raised liver "
             "enzymes were infrequent in both groups, and new-onset diabetes was slightly more common with the "
             "higher dose. Intensive atorvastatin is beneficial after an acute coronary syndrome regardless of "
             "age."),
        ],
        "authors": [("Lambert", "Claire", "C"), ("Iyer", "Ramesh", "R"), ("Becker", "Jonas", "J")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D054058", "Acute Coronary Syndrome", True, [DRUG_THERAPY]),
            ("D000069059", "Atorvastatin", True, [ADMIN]),
            ("D008078", "Cholesterol, LDL", False, [BLOOD]),
            ("D019161", "Hydroxymethylglutaryl-CoA Reductase Inhibitors", False, [ADMIN]),
            ("D000789", "Angina, Unstable", False, []),
            HUMANS, AGED,
        ],
        "chemicals": [("A0JWA85V8F", "Atorvastatin", "D000069059"), ("0", "Cholesterol, LDL", "D008078"),
                      ("0", "Hydroxymethylglutaryl-CoA Reductase Inhibitors", "D019161")],
        "keywords": ["statins", "elderly", "acute coronary syndrome"],
    },
    {
        "pmid": 80000034,
        "file": "0002",
        "journal": "ped",
        "year": 2023,
        "month": "Mar",
        "title": "Three versus eight days of amoxicillin for community-acquired pneumonia in children.",
        "sections": [
            (None, None,
             "Community-acquired pneumonia is a leading cause of antibiotic prescribing in children, and "
             "Streptococcus pneumoniae remains the most frequent bacterial cause. In a non-inferiority trial, "
             "281 children aged 6 months to 5 years treated for pneumonia were randomised after 3 days of "
             "amoxicillin to placebo or to 5 further days of amoxicillin. Treatment failure by day 28 occurred "
             "in 7.0% and 6.4% respectively, meeting the non-inferiority margin. Antibiotic-related diarrhoea "
             "was less frequent with the short course. Shorter antibiotic courses reduce exposure without "
             "compromising recovery."),
        ],
        "authors": [("Bouchard", "Étienne", "É"), ("Afolabi", "Kemi", "K")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D000074343", "Community-Acquired Pneumonia", True, [DRUG_THERAPY]),
            ("D000658", "Amoxicillin", True, [ADMIN]),
            ("D000900", "Anti-Bacterial Agents", False, [ADMIN]),
            ("D013296", "Streptococcus pneumoniae", False, []),
            HUMANS, CHILD, ("D002675", "Child, Preschool", False, []), ("D007223", "Infant", False, []),
        ],
        "chemicals": [("804826J2HU", "Amoxicillin", "D000658"), ("0", "Anti-Bacterial Agents", "D000900")],
        "keywords": ["antibiotic stewardship", "pneumonia", "children"],
    },
    {
        "pmid": 80000035,
        "file": "0002",
        "journal": "endo",
        "year": 2020,
        "month": "Nov",
        "title": "Retinal screening intervals for people with type 2 diabetes and no diabetic retinopathy.",
        "sections": [
            (None, None,
             "Annual retinal screening for every person with diabetes places a heavy load on eye services. "
             "Using 10 years of screening records for 94,320 people with type 2 diabetes and no diabetic "
             "retinopathy at baseline, we estimated the risk of progression to sight-threatening retinopathy. "
             "Among those with two consecutive negative screens, the risk within 2 years was 0.3%. Higher "
             "HbA<sub>1c</sub>, longer diabetes duration and insulin treatment predicted progression. Extending "
             "the screening interval to 2 years is safe for low-risk people with type 2 diabetes."),
        ],
        "authors": [("Gallagher", "Niamh", "N"), ("Reddy", "Kavya", "K")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D003930", "Diabetic Retinopathy", True, [DIAGNOSIS]),
            ("D003924", "Diabetes Mellitus, Type 2", False, [COMPLICATIONS]),
            ("D008403", "Mass Screening", True, []),
            HUMANS,
        ],
        "chemicals": [],
        "keywords": ["diabetic eye screening", "retinopathy"],
    },
    {
        "pmid": 80000036,
        "file": "0002",
        "journal": "card",
        "year": 2022,
        "month": "Feb",
        "title": "Amlodipine versus lisinopril as initial therapy for isolated systolic hypertension in older adults.",
        "sections": [
            ("BACKGROUND", "BACKGROUND",
             "Isolated systolic hypertension is the predominant form of high blood pressure after the age of 60 "
             "years."),
            ("METHODS", "METHODS",
             "We randomly assigned 1,408 adults aged ≥ 65 years with systolic blood pressure 150–179 mmHg and "
             "diastolic pressure &lt; 90 mmHg to amlodipine 5–10 mg or lisinopril 10–40 mg daily. The primary "
             "outcome was a composite of stroke, myocardial infarction and hospitalisation for heart failure."),
            ("RESULTS", "RESULTS",
             "Blood pressure fell by 21/6 mmHg with amlodipine and 17/5 mmHg with lisinopril. The primary "
             "outcome occurred in 6.1% and 7.4% (hazard ratio 0.82; 95% CI 0.63–1.07). Ankle edema was more "
             "common with amlodipine (12%), and cough with lisinopril (9%)."),
            ("CONCLUSIONS", "CONCLUSIONS",
             "Both drugs are reasonable initial choices; amlodipine lowered systolic pressure more but caused "
             "more edema."),
        ],
        "authors": [("Adeleke", "Temitope", "T"), ("Schmidt", "Annika", "A"), ("Moretti", "Paolo", "P")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D006973", "Hypertension", True, [DRUG_THERAPY]),
            ("D017311", "Amlodipine", False, [THERAPEUTIC_USE]),
            ("D017706", "Lisinopril", False, [THERAPEUTIC_USE]),
            ("D004487", "Edema", False, [("Q000139", "chemically induced", False)]),
            HUMANS, AGED,
        ],
        "chemicals": [("1J444QC288", "Amlodipine", "D017311"), ("E7199S1YWR", "Lisinopril", "D017706"),
                      ("0", "Antihypertensive Agents", "D000959")],
        "keywords": ["isolated systolic hypertension", "calcium channel blocker", "ACE inhibitor"],
    },
    {
        "pmid": 80000037,
        "file": "0002",
        "journal": "neuro",
        "year": 2023,
        "month": "Aug",
        "title": "Magnesium for migraine prophylaxis: a note of caution.",
        "sections": [],
        "authors": [("Carvalho", "Inês", "I")],
        "pubtypes": ["Letter"],
        "mesh": [
            ("D008274", "Magnesium", True, [THERAPEUTIC_USE]),
            ("D008881", "Migraine Disorders", True, [PREVENTION]),
            HUMANS,
        ],
        "chemicals": [("I38ZP9992A", "Magnesium", "D008274")],
        "keywords": [],
        "extra": {"status": "PubMed-not-MEDLINE"},
    },
    {
        "pmid": 80000038,
        "file": "0002",
        "journal": "endo",
        "year": 2021,
        "month": "Apr",
        "title": "Continuous glucose monitoring and severe hypoglycaemia in adults with type 1 diabetes.",
        "sections": [
            (None, None,
             "Severe hypoglycemia remains a major barrier to tight glucose control in type 1 diabetes. We "
             "randomised 203 adults with type 1 diabetes using multiple daily insulin injections and impaired "
             "awareness of hypoglycemia to continuous glucose monitoring with alarms or to self-monitoring of "
             "blood glucose. Over 12 months, severe hypoglycemic events fell from 2.1 to 0.6 per person-year "
             "with continuous monitoring and from 2.0 to 1.5 with self-monitoring. HbA<sub>1c</sub> did not "
             "rise. Diabetic ketoacidosis was rare in both groups. Continuous glucose monitoring should be "
             "offered to adults with type 1 diabetes and impaired awareness of hypoglycaemia."),
        ],
        "authors": [("Holm", "Sigrid", "S"), ("Varga", "Bence", "B"), ("Olawale", "Yetunde", "Y")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D003922", "Diabetes Mellitus, Type 1", True, [BLOOD]),
            ("D007003", "Hypoglycemia", True, [PREVENTION]),
            ("D001786", "Blood Glucose", False, [("Q000032", "analysis", False)]),
            ("D000095583", "Continuous Glucose Monitoring", True, []),
            HUMANS, ADULT,
        ],
        "chemicals": [("0", "Blood Glucose", "D001786"), ("0", "Insulin", "D007328")],
        "keywords": ["hypoglycaemia unawareness", "continuous glucose monitoring"],
    },
    {
        "pmid": 80000039,
        "file": "0002",
        "journal": "resp",
        "year": 2020,
        "month": "Mar",
        "title": "Anxiety and depression in chronic obstructive pulmonary disease: effect of pulmonary rehabilitation.",
        "sections": [
            (None, None,
             "Anxiety and depression are frequent in COPD and are associated with dyspnoea, poor adherence and "
             "more exacerbations. We studied 318 patients with COPD referred for an 8-week pulmonary "
             "rehabilitation programme. At baseline, 34% screened positive for anxiety and 27% for depression. "
             "After rehabilitation, both scores fell significantly, and improvement in depression correlated "
             "with increased walking distance but not with change in FEV<sub>1</sub>. Patients who continued "
             "smoking improved less. Screening for anxiety and depression should be part of pulmonary "
             "rehabilitation in COPD."),
        ],
        "authors": [("McAllister", "Fiona", "F"), ("Kapoor", "Vikram", "V")],
        "pubtypes": ["Journal Article"],
        "mesh": [
            ("D029424", "Pulmonary Disease, Chronic Obstructive", True, [("Q000523", "psychology", True)]),
            ("D001007", "Anxiety", False, []),
            ("D003863", "Depression", False, []),
            HUMANS, AGED,
        ],
        "chemicals": [],
        "keywords": ["COPD", "pulmonary rehabilitation", "anxiety"],
    },
    {
        "pmid": 80000040,
        "file": "0002",
        "journal": "card",
        "year": 2019,
        "month": "Jun",
        "title": "High-sensitivity C-reactive protein, inflammation and cardiovascular disease in people without diabetes.",
        "sections": [
            (None, None,
             "Low-grade inflammation, reflected by high-sensitivity C-reactive protein (hs-CRP), predicts "
             "cardiovascular disease independently of cholesterol. In 12,870 adults without diabetes or known "
             "cardiovascular disease followed for 11 years, hs-CRP above 3 mg/L was associated with a 1.5-fold "
             "higher risk of myocardial infarction and stroke after adjustment for LDL cholesterol, blood "
             "pressure and smoking. Adding hs-CRP to a conventional risk score reclassified 8% of participants. "
             "Interleukin-6 concentrations showed a similar but weaker pattern. Markers of inflammation may "
             "refine cardiovascular risk assessment in primary prevention."),
        ],
        "authors": [("Sørensen", "Mikkel", "M"), ("Agarwal", "Priya", "P"), ("Dumont", "Luc", "L")],
        "pubtypes": ["Journal Article", "Observational Study"],
        "mesh": [
            ("D002097", "C-Reactive Protein", True, [("Q000032", "analysis", True)]),
            ("D002318", "Cardiovascular Diseases", True, [EPIDEMIOLOGY]),
            ("D007249", "Inflammation", False, [BLOOD]),
            ("D015850", "Interleukin-6", False, [BLOOD]),
            HUMANS, MIDDLE, AGED,
        ],
        "chemicals": [("9007-41-4", "C-Reactive Protein", "D002097"), ("0", "Interleukin-6", "D015850"),
                      ("97C5T2UQ7J", "Cholesterol", "D002784")],
        "keywords": ["hs-CRP", "cardiovascular risk", "inflammation"],
    },
    # ------------------------------------------------------------------ pubmed26n0003.xml.gz (update)
    {
        # (a) Re-issue of 80000012 from 0001, same Version, corrected text: this record supersedes it.
        "pmid": 80000012,
        "file": "0003",
        "journal": "card",
        "year": 2023,
        "month": "Apr",
        "title": "Natriuretic peptide-guided diuretic therapy in chronic heart failure.",
        "sections": [
            (None, None,
             "In chronic heart failure, symptoms such as dyspnea and edema are poor guides to the dose of loop "
             "diuretics. We randomised 240 outpatients with heart failure and reduced ejection fraction to "
             "furosemide titration guided by brain natriuretic peptide (BNP) or by symptoms alone. After 12 "
             "months, BNP-guided care reduced hospital admissions for heart failure by 18% after correction of "
             "a data-entry error at one site, and the difference in mortality was not significant. Hypokalaemia "
             "and worsening renal function were similar in both arms. An erratum describing the correction has "
             "been published."),
        ],
        "authors": [("Fischer", "Lena", "L"), ("Santos", "João", "J")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D006333", "Heart Failure", True, [DRUG_THERAPY]),
            ("D020097", "Natriuretic Peptide, Brain", True, [BLOOD]),
            ("D005665", "Furosemide", False, [ADMIN]),
            ("D004232", "Diuretics", False, [ADMIN]),
            HUMANS, AGED, MALE, FEMALE,
        ],
        "chemicals": [("7LXU5N7ZO5", "Furosemide", "D005665"), ("114471-18-0", "Natriuretic Peptide, Brain", "D020097")],
        "keywords": ["heart failure", "BNP", "diuretics"],
        "extra": {"date_revised": (2026, 1, 12)},
    },
    {
        # (b) Version 2 comes first in the file: the highest Version wins, not the last record.
        "pmid": 80000041,
        "file": "0003",
        "version": 2,
        "journal": "resp",
        "year": 2025,
        "month": "Nov",
        "title": "Vitamin D supplementation and asthma exacerbations in children: a randomised trial (revised analysis).",
        "sections": [
            (None, None,
             "Low vitamin D status has been linked to asthma exacerbations in children. We randomised 400 "
             "children aged 6–16 years with persistent asthma and vitamin D deficiency to cholecalciferol 4000 "
             "IU daily or placebo for 48 weeks, in addition to inhaled corticosteroids. In this revised "
             "analysis, which corrects the classification of 12 exacerbations, exacerbations requiring "
             "systemic corticosteroids occurred in 26% of children with cholecalciferol and 30% with placebo "
             "(rate ratio 0.86; 95% CI 0.65–1.14). Vitamin D did not improve FEV<sub>1</sub> or symptom scores, "
             "and no child developed hypercalciuria."),
        ],
        "authors": [("Achterberg", "Sanne", "S"), ("Mwale", "Chikondi", "C")],
        "pubtypes": ["Journal Article", "Randomized Controlled Trial"],
        "mesh": [],
        "chemicals": [("1C6V77QF41", "Cholecalciferol", "D002762")],
        "keywords": ["vitamin D", "asthma", "children"],
        "extra": {"status": "PubMed-not-MEDLINE", "version_date": "2026/01/20", "date_revised": (2026, 1, 20)},
    },
    {
        "pmid": 80000041,
        "file": "0003",
        "version": 1,
        "journal": "resp",
        "year": 2025,
        "month": "Nov",
        "title": "Vitamin D supplementation and asthma exacerbations in children: a randomised trial.",
        "sections": [
            (None, None,
             "Low vitamin D status has been linked to asthma exacerbations in children. We randomised 400 "
             "children aged 6–16 years with persistent asthma and vitamin D deficiency to cholecalciferol 4000 "
             "IU daily or placebo for 48 weeks, in addition to inhaled corticosteroids. Exacerbations requiring "
             "systemic corticosteroids occurred in 28% of children in each group. Vitamin D did not improve "
             "FEV<sub>1</sub> or symptom scores."),
        ],
        "authors": [("Achterberg", "Sanne", "S"), ("Mwale", "Chikondi", "C")],
        "pubtypes": ["Journal Article", "Randomized Controlled Trial"],
        "mesh": [],
        "chemicals": [("1C6V77QF41", "Cholecalciferol", "D002762")],
        "keywords": ["vitamin D", "asthma", "children"],
        "extra": {"status": "PubMed-not-MEDLINE", "version_date": "2025/11/03", "date_revised": (2025, 11, 3)},
    },
    {
        "pmid": 80000042,
        "file": "0003",
        "journal": "resp",
        "year": 2025,
        "month": "Dec",
        "title": "Intravenous magnesium sulfate for acute severe asthma in adults: an emergency department trial.",
        "sections": [
            (None, None,
             "Intravenous magnesium sulfate is recommended for acute severe asthma that does not respond to "
             "inhaled bronchodilators, but its benefit in adults remains uncertain. In this trial, 560 adults "
             "presenting with acute asthma and a peak flow below 50% of predicted after nebulised salbutamol "
             "were randomised to magnesium sulfate 2 g or placebo over 20 minutes. Hospital admission was "
             "required for 61% and 66% respectively (difference not significant), although FEV<sub>1</sub> at "
             "1 hour improved slightly more with magnesium. Flushing and transient hypotension occurred in 5% "
             "of magnesium recipients. Intravenous magnesium may help selected adults with acute severe "
             "asthma."),
        ],
        "authors": [("Quinlan", "Brendan", "B"), ("Esposito", "Chiara", "C")],
        "pubtypes": RCT_TYPES,
        "mesh": [
            ("D001249", "Asthma", True, [DRUG_THERAPY]),
            ("D008278", "Magnesium Sulfate", True, [ADMIN]),
            ("D000420", "Albuterol", False, [THERAPEUTIC_USE]),
            ("D001993", "Bronchodilator Agents", False, [THERAPEUTIC_USE]),
            HUMANS, ADULT,
        ],
        "chemicals": [("DE08037SAB", "Magnesium Sulfate", "D008278"), ("QF8SVZ843E", "Albuterol", "D000420")],
        "keywords": ["acute asthma", "magnesium sulfate", "emergency department"],
    },
    {
        "pmid": 80000043,
        "file": "0003",
        "journal": "resp",
        "year": 2025,
        "month": "Oct",
        "title": "Oral ibuprofen challenge to confirm NSAID hypersensitivity in adults with asthma and nasal polyps.",
        "sections": [
            (None, None,
             "Aspirin and other non-steroidal anti-inflammatory drugs can provoke bronchospasm in a subset of "
             "adults with asthma, particularly those with nasal polyps. We performed graded oral ibuprofen "
             "challenges in 146 adults with asthma who reported a previous reaction to an NSAID. A positive "
             "challenge, defined as a fall in FEV<sub>1</sub> of ≥ 20% or severe nasal symptoms, occurred in 62 "
             "patients (42%), at a median cumulative ibuprofen dose of 150 mg. Nasal polyps and a blood "
             "eosinophil count above 300 cells/µL were the strongest predictors. Ibuprofen challenge is a safe "
             "way to confirm NSAID hypersensitivity in asthma and to identify patients who may benefit from "
             "aspirin desensitisation."),
        ],
        "authors": [("Lopes", "Rita", "R"), ("Åberg", "Johan", "J"), ("Chowdhury", "Nusrat", "N")],
        "pubtypes": ["Journal Article"],
        "mesh": [],
        "chemicals": [],
        "keywords": ["aspirin-exacerbated respiratory disease", "drug challenge"],
        "extra": {"status": "In-Process"},
    },
    {
        "pmid": 80000044,
        "file": "0003",
        "journal": "neuro",
        "year": 2025,
        "month": "Dec",
        "title": "Late-life mean arterial pressure and risk of dementia: a 20-year cohort study.",
        "sections": [
            (None, None,
             "Midlife hypertension increases the risk of dementia, but the relation in late life is less clear. "
             "In 3,702 community-dwelling adults aged 70 years or older, we related mean arterial pressure (MAP) "
             "at baseline to incident dementia over 20 years. Both low MAP (&lt; 80 mmHg) and high MAP "
             "(&gt; 110 mmHg) were associated with a higher risk of dementia, including Alzheimer's disease, "
             "compared with 90–100 mmHg. The association with low MAP was strongest in participants with heart "
             "failure or atrial fibrillation. We map these results onto current treatment targets and suggest "
             "that blood pressure lowering in frail older adults should avoid a MAP below 80 mmHg."),
        ],
        "authors": [("Virtanen", "Aino", "A"), ("Osterberg", "Nils", "N"), ("Delgado", "Marisol", "M")],
        "pubtypes": ["Journal Article", "Observational Study"],
        "mesh": [],
        "chemicals": [],
        "keywords": ["blood pressure", "dementia", "cohort"],
        "extra": {"status": "Publisher"},
    },
]

# (c) DeleteCitation of pubmed26n0003.xml.gz: a citation of pubmed26n0002.xml.gz withdrawn by NLM.
DELETED = {"0003": [80000035]}

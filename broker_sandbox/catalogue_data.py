"""The sandbox's catalogue: the seeds' agencies, their counter services and the datasets they need.

Field names and meanings (欄位/說明) follow the seeds where they show them (e.g. the senior-high
school enrolment dataset); other datasets use the fields the paper certificates they replace carry.
"""

from __future__ import annotations

from typing import Final

# dataset id → (name zh, name en, source agency zh, source agency en, fields)
# field: (key, name zh, name en, meaning zh, meaning en)
Field = tuple[str, str, str, str, str]
DATASETS: Final[dict[str, tuple[str, str, str, str, list[Field]]]] = {
    "household_personal": (
        "個人戶籍資料",
        "Personal household registration",
        "內政部戶政司",
        "Department of Household Registration",
        [
            (
                "national_id",
                "身分證字號",
                "National ID",
                "中華民國國民身分證統一編號",
                "National identification number",
            ),
            ("name", "姓名", "Name", "戶籍登記之姓名", "Name as registered"),
            ("birth_date", "出生年月日", "Date of birth", "民國紀年", "ROC calendar date"),
            ("sex", "性別", "Sex", "戶籍登記之性別", "Sex as registered"),
            ("address", "戶籍地址", "Registered address", "現行戶籍地址", "Current registered address"),
            ("household_number", "戶號", "Household number", "戶口名簿之戶號", "Household register number"),
        ],
    ),
    "household_members": (
        "全戶戶籍資料",
        "Whole-household registration",
        "內政部戶政司",
        "Department of Household Registration",
        [
            ("household_number", "戶號", "Household number", "戶口名簿之戶號", "Household register number"),
            ("head", "戶長", "Head of household", "戶長姓名", "Name of the head of household"),
            ("members", "戶內人口", "Members", "同戶人員姓名與稱謂", "Names and relations of the members"),
            (
                "member_count",
                "戶內人數",
                "Number of members",
                "同戶人口數",
                "Number of people in the household",
            ),
        ],
    ),
    "low_income": (
        "低收入戶及中低收入戶證明",
        "Low / mid-low income household status",
        "衛生福利部社會救助及社工司",
        "Ministry of Health and Welfare, Social Assistance",
        [
            (
                "status",
                "資格別",
                "Status",
                "低收入戶、中低收入戶或非屬前二者",
                "Low income, mid-low income or neither",
            ),
            ("valid_from", "核定起日", "Valid from", "資格核定起始日期", "Start of the approved period"),
            ("valid_to", "核定迄日", "Valid to", "資格核定終止日期", "End of the approved period"),
            (
                "city",
                "核定縣市",
                "Approving city/county",
                "核定資格之直轄市、縣(市)政府",
                "Local government that approved it",
            ),
        ],
    ),
    "labour_insurance": (
        "勞保投保資料",
        "Labour insurance enrolment",
        "勞動部勞工保險局",
        "Bureau of Labor Insurance",
        [
            ("insured", "投保狀態", "Enrolment", "目前是否在保", "Whether currently insured"),
            ("employer", "投保單位", "Insuring employer", "目前投保單位名稱", "Current insuring employer"),
            (
                "salary_grade",
                "月投保薪資",
                "Insured monthly salary",
                "目前投保薪資等級（新臺幣）",
                "Current insured salary grade (NTD)",
            ),
            (
                "since",
                "加保日期",
                "Enrolled since",
                "目前投保單位之加保日期",
                "Enrolment date with the current employer",
            ),
            ("years", "累計年資", "Total years", "勞保累計投保年資", "Total years insured"),
        ],
    ),
    "land_registry": (
        "地籍資料",
        "Land registry",
        "內政部地政司",
        "Department of Land Administration",
        [
            (
                "parcels",
                "土地筆數",
                "Parcels",
                "登記為所有權人之土地筆數",
                "Parcels registered to the citizen",
            ),
            (
                "parcel_list",
                "地段地號",
                "Sections and lot numbers",
                "各筆土地之地段與地號",
                "Section and lot number of each parcel",
            ),
            ("area_m2", "持分面積", "Owned area", "持分面積合計（平方公尺）", "Total owned share in m²"),
        ],
    ),
    "house_tax": (
        "房屋稅繳納證明",
        "House tax payment certificate",
        "財政部",
        "Ministry of Finance",
        [
            ("tax_year", "課稅年度", "Tax year", "房屋稅課稅年度", "House tax year"),
            (
                "houses",
                "房屋稅籍",
                "Tax-registered houses",
                "房屋稅籍編號與坐落",
                "Tax registration numbers and locations",
            ),
            ("paid", "繳納情形", "Payment", "是否已繳清", "Whether fully paid"),
        ],
    ),
    "vehicles": (
        "車籍資料",
        "Vehicle registration",
        "交通部公路局",
        "Highway Bureau, MOTC",
        [
            ("count", "車輛數", "Vehicles", "登記為車主之車輛數", "Vehicles registered to the citizen"),
            ("plates", "車牌號碼", "Plate numbers", "各車輛之牌照號碼", "Plate numbers"),
            ("types", "車種", "Vehicle types", "汽車、機車等車種", "Car, motorcycle…"),
        ],
    ),
    "school_enrolment": (
        "全國高級中等學校學生學籍資料",
        "Senior-high school enrolment",
        "教育部國民及學前教育署",
        "K-12 Education Administration, MOE",
        [
            (
                "found",
                "查詢結果",
                "Query result",
                "是：有查詢到資料 否：無查詢到資料",
                "Yes: records found; no: none",
            ),
            (
                "national_id",
                "身分證字號",
                "National ID",
                "中華民國國民身分證統一編號",
                "National identification number",
            ),
            ("name", "姓名", "Name", "學籍登記之姓名", "Name as enrolled"),
            ("birth_date", "出生年月日", "Date of birth", "民國紀年", "ROC calendar date"),
            (
                "change_year",
                "異動學年度",
                "Year of last change",
                "高級中等學校學籍最後之異動學年度",
                "School year of the last enrolment change",
            ),
            (
                "school",
                "學校名稱",
                "School",
                "高級中等學校最後學籍狀態紀錄之學校",
                "School of the last enrolment record",
            ),
            (
                "programme",
                "科別(學程)",
                "Programme",
                "高級中等學校最後學籍狀態紀錄之科別(學程)",
                "Programme of the last enrolment record",
            ),
            (
                "status",
                "學籍狀態",
                "Enrolment status",
                "包括在學、轉出、休學、畢業、未達尋業標準、未完成學業、死亡等7種狀態",
                "One of 7 states: enrolled, transferred, suspended, graduated…",
            ),
            (
                "changed_on",
                "資料異動日期",
                "Date of last change",
                "高級中等學校學籍最後之異動日期",
                "Date of the last enrolment change",
            ),
        ],
    ),
    "study_grants": (
        "就學獎補助紀錄",
        "Study grants received",
        "教育部",
        "Ministry of Education",
        [
            (
                "grants",
                "獎補助項目",
                "Grants",
                "近三學年度領取之獎補助",
                "Grants of the last three school years",
            ),
            ("total", "金額合計", "Total amount", "新臺幣", "NTD"),
        ],
    ),
    "disability": (
        "身心障礙證明",
        "Disability certificate",
        "衛生福利部社會及家庭署",
        "Social and Family Affairs Administration",
        [
            (
                "holder",
                "持證狀態",
                "Certificate",
                "是否持有有效身心障礙證明",
                "Whether a valid certificate is held",
            ),
            ("category", "障礙類別", "Category", "ICF 障礙類別", "ICF disability category"),
            ("level", "障礙等級", "Level", "輕度、中度、重度、極重度", "Mild, moderate, severe, profound"),
            ("valid_to", "有效期限", "Valid until", "證明有效期限", "Certificate expiry date"),
            (
                "mobility",
                "行動不便",
                "Reduced mobility",
                "需求評估是否註記行動不便",
                "Whether reduced mobility is noted",
            ),
        ],
    ),
    "entry_exit": (
        "出入境紀錄",
        "Entry and exit records",
        "內政部移民署",
        "National Immigration Agency",
        [
            ("last_exit", "最近出境日期", "Last exit", "最近一次出境日期", "Date of the last departure"),
            ("last_entry", "最近入境日期", "Last entry", "最近一次入境日期", "Date of the last arrival"),
            (
                "days_abroad",
                "一年內出境日數",
                "Days abroad (12 months)",
                "最近一年在國外日數",
                "Days abroad in the last year",
            ),
        ],
    ),
    "seafarer": (
        "船員資格資料",
        "Seafarer qualifications",
        "交通部航港局",
        "Maritime and Port Bureau",
        [
            ("book_number", "船員服務手冊號碼", "Seaman's book", "船員服務手冊號碼", "Seaman's book number"),
            (
                "qualification",
                "適任證書",
                "Certificate of competency",
                "最高適任證書等級",
                "Highest certificate of competency",
            ),
            ("valid_to", "有效期限", "Valid until", "適任證書有效期限", "Expiry of the certificate"),
        ],
    ),
    "electricity_account": (
        "電費帳戶資料",
        "Electricity account",
        "台灣電力公司",
        "Taiwan Power Company",
        [
            ("account", "電號", "Account number", "電費帳戶電號", "Electricity account number"),
            ("holder", "用電戶名", "Account holder", "用電戶名", "Name on the account"),
            ("arrears", "欠費情形", "Arrears", "是否有未繳電費", "Whether any bill is unpaid"),
        ],
    ),
}

# agency id → (name zh, name en, category, services)
# service: (id, name zh, name en, description zh, description en, dataset ids)
Service = tuple[str, str, str, str, str, list[str]]
AGENCIES: Final[dict[str, tuple[str, str, str, list[Service]]]] = {
    "hualien": (
        "花蓮縣政府",
        "Hualien County Government",
        "welfare",
        [
            (
                "hualien-disabled-parking",
                "身心障礙者專用停車位識別證",
                "Disabled parking permit",
                "申請或換發身心障礙者專用停車位識別證，免附身心障礙證明及戶籍資料。",
                "Apply for or renew a disabled parking permit without paper certificates.",
                ["household_personal", "disability", "vehicles"],
            ),
            (
                "hualien-low-income-aid",
                "低收入戶生活扶助",
                "Low-income living assistance",
                "申請生活扶助，免附低收入戶證明與全戶戶籍謄本。",
                "Apply for living assistance without income or household certificates.",
                ["household_members", "low_income"],
            ),
        ],
    ),
    "taoyuan": (
        "桃園市政府",
        "Taoyuan City Government",
        "welfare",
        [
            (
                "taoyuan-school-fee",
                "學生學雜費減免",
                "Student tuition fee reduction",
                "中低或低收入戶學生申請學雜費減免。",
                "Tuition fee reduction for low-income students.",
                ["household_members", "low_income", "school_enrolment"],
            ),
        ],
    ),
    "chiayi": (
        "嘉義縣政府",
        "Chiayi County Government",
        "welfare",
        [
            (
                "chiayi-senior-allowance",
                "中低收入老人生活津貼",
                "Allowance for low-income seniors",
                "申請老人生活津貼，免附戶籍、財產與所得證明。",
                "Apply for the seniors' allowance without household, property or income papers.",
                ["household_personal", "low_income", "land_registry", "house_tax"],
            ),
        ],
    ),
    "cpami": (
        "內政部營建署",
        "Construction and Planning Agency",
        "housing",
        [
            (
                "cpami-rent-subsidy",
                "租金補貼",
                "Rent subsidy",
                "申請租金補貼，免附戶籍謄本與財產資料。",
                "Apply for a rent subsidy without household and property papers.",
                ["household_members", "land_registry", "house_tax", "low_income"],
            ),
        ],
    ),
    "nafa": (
        "財政部國有財產署",
        "National Property Administration",
        "property",
        [
            (
                "nafa-lease",
                "國有土地承租",
                "National land lease",
                "申請承租國有土地，免附戶籍與地籍資料。",
                "Lease national land without household and land papers.",
                ["household_personal", "land_registry"],
            ),
        ],
    ),
    "taipower": (
        "台灣電力公司",
        "Taiwan Power Company",
        "utilities",
        [
            (
                "taipower-transfer",
                "電費帳戶過戶",
                "Electricity account transfer",
                "辦理用電過戶，免附身分證影本與房屋稅單。",
                "Transfer an electricity account without ID copies or tax bills.",
                ["household_personal", "house_tax", "electricity_account"],
            ),
        ],
    ),
    "cpc": (
        "台灣中油公司",
        "CPC Corporation",
        "utilities",
        [
            (
                "cpc-gas-discount",
                "弱勢家庭桶裝瓦斯補助",
                "Bottled-gas subsidy for low-income households",
                "申請桶裝瓦斯補助。",
                "Apply for the bottled-gas subsidy.",
                ["household_members", "low_income"],
            ),
        ],
    ),
    "mpb": (
        "交通部航港局",
        "Maritime and Port Bureau",
        "transport",
        [
            (
                "mpb-seafarer-book",
                "船員服務手冊換發",
                "Seaman's book renewal",
                "換發船員服務手冊，免附戶籍資料與出入境紀錄。",
                "Renew a seaman's book without household papers or travel records.",
                ["household_personal", "seafarer", "entry_exit"],
            ),
        ],
    ),
    "bli": (
        "勞動部勞工保險局",
        "Bureau of Labor Insurance",
        "labour",
        [
            (
                "bli-unemployment",
                "失業給付申請",
                "Unemployment benefit",
                "申請失業給付，免附投保證明與戶籍謄本。",
                "Claim unemployment benefit without insurance certificates or household papers.",
                ["household_personal", "labour_insurance"],
            ),
        ],
    ),
    "moe": (
        "教育部",
        "Ministry of Education",
        "education",
        [
            (
                "moe-study-grant",
                "就學補助申請",
                "Study grant application",
                "申請就學補助，免附學籍與低收入證明。",
                "Apply for a study grant without enrolment or income papers.",
                ["school_enrolment", "low_income", "study_grants"],
            ),
        ],
    ),
    "coa": (
        "農業委員會",
        "Council of Agriculture",
        "agriculture",
        [
            (
                "coa-farmer-insurance",
                "農民健康保險加保",
                "Farmers' health insurance enrolment",
                "申請農保加保，免附地籍與戶籍資料。",
                "Enrol in farmers' insurance without land and household papers.",
                ["household_personal", "land_registry", "labour_insurance"],
            ),
        ],
    ),
    "hakka": (
        "客家委員會",
        "Hakka Affairs Council",
        "culture",
        [
            (
                "hakka-scholarship",
                "客家學生獎學金",
                "Hakka student scholarship",
                "申請客家學生獎學金，免附學籍與戶籍資料。",
                "Apply for the Hakka scholarship without enrolment or household papers.",
                ["household_personal", "school_enrolment"],
            ),
        ],
    ),
}

CATEGORIES: Final = {
    "welfare": ("社會福利", "Social welfare"),
    "housing": ("住宅", "Housing"),
    "property": ("財產", "Property"),
    "utilities": ("水電瓦斯", "Utilities"),
    "transport": ("交通", "Transport"),
    "labour": ("勞動", "Labour"),
    "education": ("教育學習", "Education"),
    "agriculture": ("農業", "Agriculture"),
    "culture": ("文化", "Culture"),
}

TERMS_VERSION: Final = "2026-01"
SUPPORT_LINE: Final = "0800-009-868"
SUPPORT_EMAIL: Final = "mydata@moda.gov.tw"

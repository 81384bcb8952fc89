//! UI texts of this feature: (key, zh-CN, English).

pub const TEXTS: &[(&str, &str, &str)] = &[
    ("customers.title", "CRM 客户", "CRM customers"),
    (
        "customers.search",
        "客户名称、拼音或编码",
        "Name, pinyin or id",
    ),
    ("customers.tier", "等级", "Tier"),
    ("customers.all_tiers", "全部等级", "All tiers"),
    ("customers.region_code", "大区编码", "Region code"),
    ("customers.none", "没有符合条件的客户", "No customers match"),
    ("customers.name", "客户", "Customer"),
    ("customers.region", "大区", "Region"),
    ("customers.owner", "负责人", "Owner"),
    ("customers.signed_on", "签约日期", "Signed"),
    ("customers.sources", "CRM 数据源", "CRM sources"),
    (
        "customers.no_sources",
        "还没有配置 CRM 数据源，可通过接口配置：",
        "No CRM source yet; set one up through the API:",
    ),
    ("customers.pull", "立即拉取", "Pull now"),
    (
        "customers.import_hint",
        "也可以在“数据导入”上传 Excel 客户清单，或由 CRM 调用接口推送：",
        "Customers can also be imported from Excel, or pushed by the CRM through the API:",
    ),
];

//! UI texts of this feature: (key, zh-CN, English).

pub const TEXTS: &[(&str, &str, &str)] = &[
    ("nav.identity", "登录与隐私", "Sign-in and privacy"),
    (
        "sso.settings_title",
        "登录与隐私设置",
        "Sign-in and privacy",
    ),
    (
        "sso.settings_intro",
        "配置单点登录、企业微信登录，以及离职人员个人信息的保留期。",
        "Single sign-on, WeChat Work sign-in and how long a leaver's personal data is kept.",
    ),
    ("sso.saved", "已保存", "Saved"),
    (
        "sso.oidc",
        "单点登录（OpenID Connect）",
        "Single sign-on (OpenID Connect)",
    ),
    ("sso.enable_oidc", "启用单点登录", "Turn single sign-on on"),
    ("sso.issuer", "签发方地址（Issuer）", "Issuer URL"),
    ("sso.client_id", "客户端 ID", "Client id"),
    ("sso.client_secret", "客户端密钥", "Client secret"),
    (
        "sso.secret_kept",
        "已保存，留空则不变",
        "saved; leave empty to keep",
    ),
    ("sso.scopes", "申请的授权范围", "Scopes"),
    (
        "sso.claim",
        "识别员工的声明名称",
        "Claim that names the person",
    ),
    ("sso.match_field", "与员工的哪一项比对", "Compared with"),
    ("sso.match_email", "邮箱", "E-mail"),
    ("sso.match_employee_no", "工号", "Employee number"),
    (
        "sso.button_label",
        "登录按钮文字（可选）",
        "Button text (optional)",
    ),
    ("sso.callback", "回调地址：", "Callback URL: "),
    (
        "sso.password_off",
        "只担任以下角色的人只能通过单点登录（兼有其他角色的人保留密码登录）：",
        "People whose roles are all among these sign in through SSO only (anyone with another role keeps their password):",
    ),
    (
        "sso.admin_keeps_password",
        "管理员始终保留密码登录，身份提供方故障时仍可进入系统。",
        "Administrators always keep their password, so a provider outage never locks everyone out.",
    ),
    ("sso.wecom", "企业微信登录", "WeChat Work sign-in"),
    (
        "sso.enable_wecom",
        "启用企业微信登录（企业微信内免登，电脑端扫码）",
        "Turn WeChat Work sign-in on (silent inside the app, QR code on a desktop)",
    ),
    ("sso.corp_id", "企业 ID（CorpID）", "Corp id"),
    ("sso.wecom_secret", "应用 Secret", "App secret"),
    ("sso.base_url", "接口地址", "API address"),
    ("sso.privacy", "个人信息保留", "Personal data retention"),
    (
        "sso.retention_days",
        "离职后保留天数",
        "Days kept after leaving",
    ),
    (
        "sso.retention_hint",
        "到期后姓名、联系方式和提到本人的文字会被匿名化，统计数字保持不变。",
        "After this, name, contacts and texts naming the person are anonymised; figures stay as they are.",
    ),
    ("sso.save", "保存", "Save"),
    ("sso.scim_tokens", "SCIM 同步令牌", "SCIM tokens"),
    (
        "sso.privacy_page",
        "个人信息保护",
        "Personal data protection",
    ),
    (
        "sso.sign_in_company",
        "企业账号登录",
        "Sign in with company account",
    ),
    (
        "sso.sign_in_wecom",
        "企业微信登录",
        "Sign in with WeChat Work",
    ),
    ("sso.or_password", "或使用账号密码", "or with your password"),
    ("nav.admin_identity", "登录与隐私", "Sign-in & privacy"),
];

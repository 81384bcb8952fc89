//! UI texts of this feature: (key, zh-CN, English).

pub const TEXTS: &[(&str, &str, &str)] = &[
    ("login.title", "登录", "Sign in"),
    ("login.login", "账号", "Login"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.demo_hint",
        "演示账号：admin、hrbp、director、manager、employee、engineer，密码均为 demo",
        "Demo accounts: admin, hrbp, director, manager, employee, engineer; password demo",
    ),
];

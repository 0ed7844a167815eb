//! Word lists the generators draw from.
//!
//! Person names, job titles and industries come from the `fake` crate's zh_CN and en locales.
//! `fake` has no Chinese provinces, cities, roads, banks or company-name parts, so those lists
//! are written here; and the generators pick words with the simulator's own index-addressed
//! stream rather than fake's `Rng`-driven generators, because record `i` must be a pure
//! function of (seed, tenant, i) and must not allocate on the hot path.

use fake::locales::{Data, EN, ZH_CN};

/// Chinese surnames (fake zh_CN).
pub(crate) const ZH_SURNAMES: &[&str] = <ZH_CN as Data>::NAME_LAST_NAME;
/// Chinese given names, mostly two characters (fake zh_CN).
pub(crate) const ZH_GIVEN_NAMES: &[&str] = <ZH_CN as Data>::NAME_FIRST_NAME;
/// Industries (fake zh_CN), for U8 `industry`.
pub(crate) const ZH_INDUSTRIES: &[&str] = <ZH_CN as Data>::COMPANY_INDUSTRY;
/// Forms of address (fake zh_CN), for U8 contact `title`.
pub(crate) const ZH_TITLES: &[&str] = <ZH_CN as Data>::NAME_TITLE;
/// Western first names (fake en).
pub(crate) const EN_FIRST_NAMES: &[&str] = <EN as Data>::NAME_FIRST_NAME;
/// Western last names (fake en).
pub(crate) const EN_LAST_NAMES: &[&str] = <EN as Data>::NAME_LAST_NAME;
/// Industries (fake en), the middle of Western company names.
pub(crate) const EN_INDUSTRIES: &[&str] = <EN as Data>::COMPANY_INDUSTRY;
/// Street suffixes (fake en).
pub(crate) const EN_STREET_SUFFIXES: &[&str] = <EN as Data>::ADDRESS_STREET_SUFFIX;
/// Company suffixes (fake en).
pub(crate) const EN_COMPANY_SUFFIXES: &[&str] = <EN as Data>::COMPANY_SUFFIX;

/// A Chinese city with what addresses and phone numbers need.
pub(crate) struct ZhCity {
    /// Province (省) as written in addresses.
    pub province: &'static str,
    /// City name without 市.
    pub city: &'static str,
    /// The city in pinyin, as YCM users often type it.
    pub pinyin: &'static str,
    /// Province in pinyin.
    pub province_pinyin: &'static str,
    /// Telephone area code, with its trunk prefix 0.
    pub area_code: &'static str,
    /// Digits of a local number: 8, or 7 where libphonenumber's metadata has only 7-digit
    /// numbers (Xiamen, Nanning), so that every generated number is valid.
    pub local_digits: u32,
    /// First three digits of postal codes.
    pub zip_prefix: &'static str,
}

macro_rules! zh_cities {
    ($(($p:expr, $c:expr, $py:expr, $ppy:expr, $a:expr, $z:expr)),* $(,)?) => {
        &[$(ZhCity {
            province: $p,
            city: $c,
            pinyin: $py,
            province_pinyin: $ppy,
            area_code: $a,
            local_digits: match $a.as_bytes() {
                b"0592" | b"0771" => 7,
                _ => 8,
            },
            zip_prefix: $z,
        }),*]
    };
}

/// Major Chinese cities.
pub(crate) const ZH_CITIES: &[ZhCity] = zh_cities![
    ("北京市", "北京", "Beijing", "Beijing", "010", "100"),
    ("上海市", "上海", "Shanghai", "Shanghai", "021", "200"),
    ("天津市", "天津", "Tianjin", "Tianjin", "022", "300"),
    ("重庆市", "重庆", "Chongqing", "Chongqing", "023", "400"),
    ("广东省", "广州", "Guangzhou", "Guangdong", "020", "510"),
    ("广东省", "深圳", "Shenzhen", "Guangdong", "0755", "518"),
    ("广东省", "东莞", "Dongguan", "Guangdong", "0769", "523"),
    ("广东省", "佛山", "Foshan", "Guangdong", "0757", "528"),
    ("浙江省", "杭州", "Hangzhou", "Zhejiang", "0571", "310"),
    ("浙江省", "宁波", "Ningbo", "Zhejiang", "0574", "315"),
    ("浙江省", "温州", "Wenzhou", "Zhejiang", "0577", "325"),
    ("江苏省", "南京", "Nanjing", "Jiangsu", "025", "210"),
    ("江苏省", "苏州", "Suzhou", "Jiangsu", "0512", "215"),
    ("江苏省", "无锡", "Wuxi", "Jiangsu", "0510", "214"),
    ("福建省", "厦门", "Xiamen", "Fujian", "0592", "361"),
    ("福建省", "福州", "Fuzhou", "Fujian", "0591", "350"),
    ("山东省", "济南", "Jinan", "Shandong", "0531", "250"),
    ("山东省", "青岛", "Qingdao", "Shandong", "0532", "266"),
    ("湖北省", "武汉", "Wuhan", "Hubei", "027", "430"),
    ("湖南省", "长沙", "Changsha", "Hunan", "0731", "410"),
    ("四川省", "成都", "Chengdu", "Sichuan", "028", "610"),
    ("陕西省", "西安", "Xi'an", "Shaanxi", "029", "710"),
    ("河南省", "郑州", "Zhengzhou", "Henan", "0371", "450"),
    ("河北省", "石家庄", "Shijiazhuang", "Hebei", "0311", "050"),
    ("辽宁省", "沈阳", "Shenyang", "Liaoning", "024", "110"),
    ("辽宁省", "大连", "Dalian", "Liaoning", "0411", "116"),
    ("安徽省", "合肥", "Hefei", "Anhui", "0551", "230"),
    ("江西省", "南昌", "Nanchang", "Jiangxi", "0791", "330"),
    ("云南省", "昆明", "Kunming", "Yunnan", "0871", "650"),
    (
        "黑龙江省",
        "哈尔滨",
        "Harbin",
        "Heilongjiang",
        "0451",
        "150"
    ),
    ("吉林省", "长春", "Changchun", "Jilin", "0431", "130"),
    (
        "广西壮族自治区",
        "南宁",
        "Nanning",
        "Guangxi",
        "0771",
        "530"
    ),
];

/// Districts (区), generic enough for any city.
pub(crate) const ZH_DISTRICTS: &[&str] = &[
    "高新区",
    "经济技术开发区",
    "工业园区",
    "城关区",
    "新城区",
    "滨江区",
    "开发区",
    "中心区",
    "东城区",
    "西城区",
    "南山区",
    "北湖区",
];

/// Roads.
pub(crate) const ZH_ROADS: &[&str] = &[
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "长江路",
    "黄河路",
    "和平路",
    "胜利路",
    "新华路",
    "文化路",
    "科技路",
    "创业路",
    "工业大道",
    "迎宾大道",
    "滨江路",
    "东风路",
    "青年路",
    "朝阳路",
    "学府路",
    "金融街",
    "花园路",
    "光明路",
    "团结路",
    "幸福大街",
];

/// Characters of the brand (字号) of company names: a brand is two of them (three beyond
/// 1.39 million companies per city).
///
/// None of them occurs in a city name, a line of business, a company form or the words the
/// messiness adds (`总部`), so a name's parts can be read back from its match key alone: that is
/// what makes generated names unique (see `data::company`).
pub(crate) const ZH_BRAND_CHARS: &[char] = &[
    '华', '通', '鹏', '云', '飞', '世', '纪', '宏', '达', '鑫', '恒', '金', '桥', '瑞', '丰', '盛',
    '博', '远', '中', '泰', '永', '兴', '利', '民', '嘉', '禾', '宇', '城', '纳', '启', '众', '诚',
    '德', '润', '辉', '富', '康', '联', '创', '鼎', '银', '凯', '旋', '美', '佳', '锦', '绣', '同',
    '万', '隆', '卓', '越', '立', '宝', '汇', '正', '和', '盈', '峰', '晟', '祥', '裕', '伟', '豪',
    '腾', '骏', '翔', '星', '光', '毅', '力', '荣', '顺', '茂', '旺', '吉', '泽', '鸿', '亿', '弘',
    '铭', '睿', '智', '航', '舜', '尚', '志', '优', '维', '欣', '悦', '朗', '聚', '亨', '益', '瀚',
    '泓', '澜', '麒', '麟', '祺', '瑾', '璟', '琪', '煜', '炜', '烨', '钧', '铎', '锐', '钰', '晖',
    '昊', '昕', '晨', '曜', '衡', '禧', '骐', '驰', '骁', '奥', '宸', '嵘', '岳', '峻', '崇', '森',
    '林', '柏', '松', '楠', '桦', '梓', '杉', '蓝', '图', '景', '致',
];

/// Line-of-business words of company names.
pub(crate) const ZH_TRADES: &[&str] = &[
    "科技",
    "电子",
    "贸易",
    "机械",
    "化工",
    "食品",
    "医药",
    "建材",
    "物流",
    "纺织",
    "信息技术",
    "新能源",
    "精密制造",
    "环保科技",
    "电气",
    "汽车配件",
    "包装",
    "家具",
    "服饰",
    "农业发展",
    "网络科技",
    "实业",
    "商贸",
    "工程技术",
];

/// Company forms, most common first (the generator favours the first).
pub(crate) const ZH_COMPANY_FORMS: &[&str] = &[
    "有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "商贸行",
    "厂",
];

/// Banks, for 开户银行.
pub(crate) const ZH_BANKS: &[&str] = &[
    "中国工商银行",
    "中国建设银行",
    "中国银行",
    "中国农业银行",
    "招商银行",
    "交通银行",
    "兴业银行",
    "浦发银行",
    "中信银行",
    "民生银行",
];

/// Currencies (币种), most common first.
pub(crate) const ZH_CURRENCIES: &[&str] = &["人民币", "美元", "欧元", "港币", "日元"];

/// Contact positions (职位).
pub(crate) const ZH_POSITIONS: &[&str] = &[
    "总经理",
    "副总经理",
    "采购经理",
    "财务总监",
    "销售代表",
    "行政主管",
    "技术总监",
    "采购专员",
    "出纳",
    "董事长",
    "仓库主管",
    "办公室主任",
];

/// Hobbies (个人爱好).
pub(crate) const ZH_HOBBIES: &[&str] = &[
    "篮球",
    "足球",
    "羽毛球",
    "钓鱼",
    "书法",
    "摄影",
    "旅游",
    "围棋",
    "登山",
    "阅读",
    "品茶",
    "高尔夫",
];

/// Remarks (备注).
pub(crate) const ZH_MEMOS: &[&str] = &[
    "老客户",
    "月结30天",
    "需开增值税专用发票",
    "款到发货",
    "年度框架协议客户",
    "已核实开票信息",
    "注意:送货前电话联系",
];

/// Values seen in the custom fields (自定义项).
pub(crate) const ZH_CUSTOM_VALUES: &[&str] = &[
    "A类",
    "B类",
    "C类",
    "华东大区",
    "华南大区",
    "华北大区",
    "重点跟进",
    "经销商",
    "直营",
    "线上",
];

/// Customer management types (客户管理类型): code and name.
pub(crate) const ZH_MANAGEMENT_TYPES: &[(&str, &str)] = &[
    ("999", "普通客户"),
    ("999", "普通客户"),
    ("999", "普通客户"),
    ("001", "重点客户"),
    ("002", "VIP客户"),
];

/// Category codes (所属分类码).
pub(crate) const ZH_SORT_CODES: &[&str] = &["01", "02", "03", "0101", "0102", "0201", "0301"];

/// Free-mail domains for Chinese addresses.
pub(crate) const ZH_MAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "aliyun.com",
    "foxmail.com",
];

/// Western cities: city, state, country, postal code prefix.
pub(crate) const WESTERN_CITIES: &[(&str, &str, &str, &str)] = &[
    ("Austin", "Texas", "United States", "787"),
    ("Seattle", "Washington", "United States", "981"),
    ("Denver", "Colorado", "United States", "802"),
    ("Boston", "Massachusetts", "United States", "021"),
    ("Chicago", "Illinois", "United States", "606"),
    ("Toronto", "Ontario", "Canada", "M5V"),
    ("Vancouver", "British Columbia", "Canada", "V6B"),
    ("Manchester", "England", "United Kingdom", "M1"),
    ("Leeds", "England", "United Kingdom", "LS1"),
    ("Munich", "Bavaria", "Germany", "803"),
    ("Lyon", "Auvergne-Rhone-Alpes", "France", "690"),
    ("Sydney", "New South Wales", "Australia", "200"),
    ("Melbourne", "Victoria", "Australia", "300"),
    ("Auckland", "Auckland", "New Zealand", "101"),
];

/// Parent domains of Western companies' mail domains (reserved example domains).
pub(crate) const EN_MAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_lists_are_not_empty() {
        for list in [
            ZH_SURNAMES,
            ZH_GIVEN_NAMES,
            ZH_INDUSTRIES,
            ZH_TITLES,
            EN_FIRST_NAMES,
            EN_LAST_NAMES,
            EN_STREET_SUFFIXES,
            EN_COMPANY_SUFFIXES,
            EN_INDUSTRIES,
        ] {
            assert!(!list.is_empty());
        }
    }

    #[test]
    fn brand_characters_occur_in_no_other_part_of_a_name() {
        let mut others: Vec<char> = Vec::new();
        for city in ZH_CITIES {
            others.extend(city.city.chars());
        }
        for word in ZH_TRADES.iter().chain(ZH_COMPANY_FORMS) {
            others.extend(word.chars());
        }
        others.extend("市区省有限责任股份集团公司总部分子".chars());
        let mut seen = std::collections::BTreeSet::new();
        for c in ZH_BRAND_CHARS {
            assert!(seen.insert(*c), "{c} is listed twice");
            assert!(
                !others.contains(c),
                "{c} also occurs in a city, trade or form"
            );
        }
    }

    #[test]
    fn no_city_or_trade_is_a_prefix_of_another() {
        let cities: Vec<&str> = ZH_CITIES.iter().map(|c| c.city).collect();
        for list in [&cities[..], ZH_TRADES] {
            for a in list {
                for b in list {
                    assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
                }
            }
        }
    }
}

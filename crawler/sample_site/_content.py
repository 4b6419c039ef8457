"""Article texts of the sample news site.

Hand-written pieces (the seed article, mixed-language articles, Simplified and Traditional
Chinese articles, the special pages) plus a deterministic generator for the English bulk.
Nothing here knows about HTML or HTTP: `_build` and `_html` render these texts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

from crawler.sample_site._chrome import slugify

__all__ = ["ArticleText", "corpus", "special_texts"]


@dataclass(frozen=True)
class ArticleText:
    key: str  # stable slug, unique across the site
    title: str
    language: str  # "en", "zh-Hans", "zh-Hant"
    section: str
    author: str
    paragraphs: tuple[str, ...]
    published: date = date(2014, 1, 1)


# --------------------------------------------------------------------------------------------
# Hand-written articles
# --------------------------------------------------------------------------------------------

SEED = ArticleText(
    key="interpretation-of-hangzhou-ali-flavor",
    title='Interpretation Of Hangzhou\'s "Ali Flavor"',
    language="en",
    section="Industry perspective",
    author="Wei Lan",
    paragraphs=(
        "In December 29, 2014, at the second joint meeting of strategic cooperation between "
        'Hangzhou and Alibaba group, Ma said, "over the years, Alibaba is a very fortunate '
        "company. We have received strong support from the Hangzhou government and the people in "
        "Hangzhou. We are also honored to be a community of interests with a city and our "
        "hometown.\" Ma Yun's words may come from the bottom of his heart.",
        "In 1999, when Alibaba started to get financing, Ma Yun once moved the company "
        "headquarters to the United States, and the domestic headquarters moved to Shanghai. "
        "However, Shanghai was dominated by large state-owned enterprises and foreign-funded "
        "enterprises.",
        "After this short setback, Ma decided to evacuate from Shanghai and go back to Hangzhou "
        "to start an undertaking. At this time, he used the Alibaba website of 500 thousand yuan "
        "to start a simple position to create the largest online professional market for "
        "Zhejiang and even the world's small and medium-sized enterprises.",
        '"Being so close to SMEs in Zhejiang is an advantage for Alibaba." Wei Zhe, the chief '
        "executive of the B2B subsidiary of Alibaba group, understands Hangzhou's geographical "
        "advantage: the manufacturers Alibaba serves are a short drive from its offices.",
        "Zhejiang has the largest number of small and medium-sized processing and manufacturing "
        "enterprises in China, and the related industrial chain division system. In many places "
        "the proportion of small and medium-sized enterprises has exceeded 98 percent of all "
        "registered firms.",
        "\"The whole Yangtze River Delta region is China's most powerful manufacturing area, and "
        'also a region where consumer goods are concentrated," said Zhang Handong, director of '
        'the Zhejiang Business Research Institute. "In Hangzhou, Ali can attract a large number '
        "of small and medium-sized enterprises to join its platform, just like the relationship "
        'between ships and water."',
        'For Hangzhou, its entrepreneurial enterprises are also full of deep "Ali flavor". '
        "Among the three founders of the famous mogujie.com, two are former Alibaba employees, "
        "and many of the city's young financial technology teams were started by people who "
        "learned the trade at Binjiang.",
    ),
)

MIXED = (
    ArticleText(
        key="keqiao-traders-eye-southeast-asian-buyers",
        title="Keqiao Fabric Traders Eye Southeast Asian Buyers",
        language="en",
        section="Market watch",
        author="Sun Meiling",
        paragraphs=(
            "Fabric wholesalers at the China Textile City in Keqiao, Shaoxing, say that orders "
            "from garment makers in Vietnam and Bangladesh have become the fastest growing part "
            "of their business, offsetting a slow season among domestic apparel brands.",
            "At a stall on the second floor of the north market, a trader surnamed Lou showed "
            "rolls of printed chiffon waiting to be shipped to Ho Chi Minh City. Asked about the "
            "year so far, she answered in Chinese:",
            "“我们今年的订单比去年多了三成，主要来自越南和孟加拉国的服装厂。他们要的量不算特别大，"
            "但是翻单很快，对花型和交货期的要求也越来越高。”",
            "Market officials estimate that more than a third of the fabric traded in Keqiao now "
            "leaves the country within a month, most of it through the ports of Ningbo and "
            "Shanghai, and that the share of foreign buyers visiting in person has doubled "
            "since the opening of the new international trade centre.",
            "Traders also point to rising costs. Dyeing capacity in Shaoxing has been "
            "consolidated into industrial parks with stricter discharge rules, and several "
            "stall owners said delivery times for printed goods have stretched by a week.",
        ),
    ),
    ArticleText(
        key="taiwanese-mill-bets-on-recycled-polyester",
        title="Taiwanese Mill Bets On Recycled Polyester For Sportswear",
        language="en",
        section="Global perspective",
        author="Lin Yu-ting",
        paragraphs=(
            "A mid-sized spinning mill in Taoyuan has converted two of its five production lines "
            "to yarn made from recycled plastic bottles, betting that international sportswear "
            "brands will keep raising the share of recycled fibre in their collections.",
            "The company collects flakes from bottle recyclers across northern Taiwan, melts "
            "them into chips and spins filament that is then knitted into jersey for running "
            "shirts. Each shirt uses roughly eight bottles, according to the mill.",
            "“這不只是環保口號，國際品牌的採購合約裡已經寫明回收纖維的比例。臺灣的紡織業如果不跟上，"
            "訂單就會流向別的國家。”廠長在接受訪問時這樣說。",
            "Industry groups in Taipei say recycled polyester now accounts for a growing part of "
            "the island's functional fabric exports, and that traceability certificates have "
            "become as important to buyers as price and colour fastness.",
        ),
    ),
)

ZH_HANS = (
    ArticleText(
        key="keqiao-spring-trade",
        title="柯桥中国轻纺城春季交易旺盛 面料订单同比增长",
        language="zh-Hans",
        section="市场行情",
        author="陈晓峰",
        paragraphs=(
            "进入三月以来，绍兴柯桥中国轻纺城的交易明显升温。走进东区市场，各家商铺门口堆满了准备发货的"
            "布匹，搬运工推着小车在过道里来回穿梭，不少经营户一边接电话一边核对订单。",
            "据市场管理部门统计，本月前两周轻纺城面料成交额同比增长约百分之十二，其中化纤面料和针织面料"
            "的增长最为明显。经营户普遍反映，春夏季服装面料的补单节奏比往年提前了半个月。",
            "在一家经营雪纺面料的商铺里，店主王女士告诉记者，今年最受欢迎的是小碎花和素色提花，"
            "客户主要来自广州、杭州和郑州的服装厂，也有一部分是网店店主直接下单。",
            "业内人士分析，国内服装品牌库存逐步消化，加上电商平台新品上架速度加快，是带动面料需求回升的"
            "主要原因。不过原料价格波动较大，部分中小经营户对下半年的行情仍持谨慎态度。",
        ),
    ),
    ArticleText(
        key="shengze-silk-custom",
        title="盛泽丝绸企业转向高端定制 年轻消费者成为新客群",
        language="zh-Hans",
        section="企业资讯",
        author="周雨婷",
        paragraphs=(
            "素有“日出万绸，衣被天下”之称的吴江盛泽镇，正在经历一场安静的变化。过去以批发真丝坯布为主的"
            "一些老牌企业，开始把目光投向高端定制和文化创意产品。",
            "一家有三十多年历史的丝绸厂负责人说，十年前工厂百分之九十的产品都是出口坯布，利润很薄；"
            "如今他们开设了自己的设计工作室，推出真丝围巾、睡衣和刺绣手包，毛利率提高了一倍多。",
            "记者在工作室看到，年轻的设计师正在把苏州园林的窗格图案转化为提花纹样。负责人介绍，"
            "线上店铺的顾客里，二十五岁到三十五岁的女性占了一半以上，她们更看重设计和故事。",
            "当地商务部门表示，将继续支持丝绸企业建设品牌、参加国内外展会，并推动丝绸文化与旅游结合，"
            "让更多游客在古镇里了解缫丝、织造和印染的传统工艺。",
        ),
    ),
    ArticleText(
        key="humen-livestream",
        title="虎门服装商户试水直播带货 一场直播卖出三千件",
        language="zh-Hans",
        section="电子商务",
        author="黄嘉敏",
        paragraphs=(
            "晚上八点，东莞虎门一家女装档口的二楼灯火通明。三名主播轮流换上新款连衣裙，对着手机镜头介绍"
            "面料、尺码和搭配方法，屏幕上不断滚动着观众的提问和下单提示。",
            "档口老板李先生说，他们从去年秋天开始尝试直播，最初每场只有几十人观看，现在稳定在一万人左右。"
            "上周的一场直播持续了四个小时，一共卖出三千多件衣服，相当于过去半个月的批发量。",
            "虎门是全国重要的服装生产和批发基地，聚集了上千家服装企业。近两年，传统批发市场客流下降，"
            "越来越多的商户把直播间搬进了档口和工厂，希望直接面对终端消费者。",
            "不过也有商户坦言，直播带货的退货率偏高，对供应链反应速度要求很高。当地行业协会正在组织培训，"
            "帮助商户规范售后服务，并与快递企业协商建立集中发货点。",
            "业内人士认为，直播只是销售渠道的变化，真正的竞争力仍然来自设计、品质和快速翻单的能力。",
        ),
    ),
    ArticleText(
        key="xinjiang-cotton-subsidy",
        title="新疆棉花目标价格补贴范围保持不变 棉农关注机采推广",
        language="zh-Hans",
        section="政策解读",
        author="马俊",
        paragraphs=(
            "有关部门近日明确，新疆棉花目标价格改革试点继续实施，补贴范围和发放方式总体保持不变。"
            "这一消息让南疆不少棉农松了一口气，春播准备工作也随之全面展开。",
            "在阿克苏地区的一个植棉大村，种植户阿不都热合曼告诉记者，他家今年种了八十亩棉花，"
            "已经订好了滴灌带和良种。他最关心的是收购价格是否稳定，以及补贴能否按时到账。",
            "与此同时，机采棉的推广速度明显加快。当地农业技术人员介绍，机采可以大幅降低人工成本，"
            "但对品种、株行距和脱叶剂使用都有更高要求，需要棉农和加工企业共同配合。",
            "纺织企业则更关注棉花品质。一位内地纺纱厂的采购经理表示，机采棉含杂率曾经偏高，"
            "近两年加工工艺改进后情况有所好转，希望产区继续加强质量检验和分级管理。",
        ),
    ),
    ArticleText(
        key="shaoxing-dyeing-upgrade",
        title="绍兴印染企业集聚升级 污水处理标准全面提高",
        language="zh-Hans",
        section="行业动态",
        author="陈晓峰",
        paragraphs=(
            "绍兴滨海新区的印染产业集聚区内，一排排新建厂房整齐排列，原本分散在各个乡镇的印染企业"
            "正陆续搬迁入园。按照规划，入园企业将统一接入集中供热和污水处理设施。",
            "一家印染企业的技术主管介绍，新厂区采用了低浴比染色机和余热回收系统，每吨布的用水量下降了"
            "三分之一左右，蒸汽消耗也明显减少，虽然前期投入不小，但长期来看可以节省运营成本。",
            "环保部门表示，集聚区的排放标准比过去提高了一个档次，所有企业的排污口都安装了在线监测设备，"
            "数据实时上传，一旦超标将立即停产整改。",
            "业内人士认为，印染是纺织产业链中的关键环节，也是污水排放的重点行业。通过集聚发展，"
            "绍兴希望在保住产业规模的同时，推动印染行业走向绿色、智能和高端。",
        ),
    ),
    ArticleText(
        key="ningbo-fashion-festival",
        title="宁波国际服装节开幕 本土品牌集中亮相",
        language="zh-Hans",
        section="展会新闻",
        author="郑丽华",
        paragraphs=(
            "第十九届宁波国际服装节在宁波国际会展中心开幕，来自国内外的六百多家企业参展，"
            "展出面积超过五万平方米。开幕当天，展馆内人流如织，不少采购商一早就排队入场。",
            "作为中国重要的服装产业基地，宁波拥有一批知名男装和针织企业。本届服装节上，"
            "本土品牌纷纷推出新一季产品，商务男装、羊毛针织和户外功能服装成为关注焦点。",
            "一家参展企业的销售总监表示，服装节是与经销商面对面交流的重要机会。今年他们带来了"
            "定制西装的新服务，顾客在门店量体后，工厂七天内就能完成生产并寄出。",
            "主办方介绍，本届服装节还设立了设计师专区和跨境电商专区，邀请海外买家在线洽谈，"
            "希望帮助宁波服装企业拓展国际市场。",
        ),
    ),
    ArticleText(
        key="yiwu-exports-recover",
        title="义乌小商品出口回暖 纺织类订单占比上升",
        language="zh-Hans",
        section="外贸动态",
        author="吴建平",
        paragraphs=(
            "义乌海关最新数据显示，今年一季度义乌市出口总值同比增长明显，其中纺织纱线、织物及制品"
            "和服装的出口增速高于平均水平，成为拉动外贸增长的重要力量。",
            "在国际商贸城四区的袜业市场，经营户徐先生正忙着给中东客户打样。他说，今年来自非洲和中东的"
            "订单明显增多，客户对价格比较敏感，但下单量大，付款也比较及时。",
            "市场采购贸易方式的推广，让小批量、多品种的商品出口更加便利。许多经营户表示，报关和结汇手续"
            "比过去简化了很多，一个集装箱里可以拼装几十家商户的货物。",
            "不过，汇率波动和海运费上涨也给经营户带来压力。有外贸公司负责人建议，企业要注意控制风险，"
            "适当使用人民币结算，并通过跨境电商平台开拓新的客户群体。",
        ),
    ),
    ArticleText(
        key="zhili-childrenswear-crossborder",
        title="织里童装借力跨境电商 走进东南亚市场",
        language="zh-Hans",
        section="电子商务",
        author="沈佳怡",
        paragraphs=(
            "湖州织里镇是全国闻名的童装产业集群，镇上的童装企业和加工户超过一万家。近年来，"
            "越来越多的织里企业开始通过跨境电商平台，把童装卖到东南亚和中东。",
            "一家童装企业的负责人说，公司在东南亚电商平台上开设店铺不到两年，海外销售额已经占到总销售额的"
            "四分之一。那里气候炎热，纯棉短袖和轻薄连衣裙最受欢迎，一年四季都有需求。",
            "为了适应海外市场，企业专门调整了尺码表和包装说明，并聘请了懂当地语言的客服人员。"
            "负责人坦言，跨境物流时间长、退换货成本高，是目前最需要解决的问题。",
            "当地政府正在建设跨境电商产业园，提供仓储、报关和培训等一站式服务，"
            "帮助中小童装企业降低出海门槛。",
        ),
    ),
    ArticleText(
        key="textile-recycling-pilots",
        title="废旧纺织品回收体系建设提速 多地试点旧衣回收箱",
        language="zh-Hans",
        section="可持续发展",
        author="刘思远",
        paragraphs=(
            "随着居民生活水平提高，旧衣服的数量越来越多。据行业协会估算，我国每年产生的废旧纺织品"
            "数量巨大，但真正被回收利用的比例仍然偏低，大部分被当作生活垃圾处理。",
            "目前，北京、上海、广州等城市的一些小区已经设置了旧衣回收箱。回收企业定期清运，"
            "经过分拣后，品相较好的衣物用于捐赠或出口，其余的则被加工成再生纤维、保温材料和拖布。",
            "一家再生纤维企业的技术人员介绍，涤纶类旧衣可以通过化学方法再生为切片，重新纺成纱线；"
            "棉类旧衣则可以开松成再生棉，用于生产牛仔布和家纺产品。",
            "专家指出，要让回收体系真正运转起来，需要统一的分类标准、稳定的回收渠道和合理的税收政策，"
            "也需要服装品牌在设计阶段就考虑产品的可回收性。",
        ),
    ),
)

ZH_HANT = (
    ArticleText(
        key="taiwan-functional-fabric",
        title="臺灣機能性布料獲國際運動品牌青睞 出口訂單穩定成長",
        language="zh-Hant",
        section="產業動態",
        author="張育誠",
        paragraphs=(
            "臺灣紡織業近年積極轉型，從過去以代工為主的傳統產業，發展成為全球機能性布料的重要供應地。"
            "許多國際運動品牌的排汗衫、防風外套和瑜珈服，使用的都是臺灣生產的布料。",
            "業者指出，臺灣廠商的優勢在於研發速度快、品質穩定，能夠在短時間內依照品牌需求開發新材料。"
            "從吸濕排汗、抗紫外線到輕量防水，每一種功能背後都需要大量的測試與調整。",
            "根據紡織產業綜合研究所的統計，機能性布料已經占臺灣布料出口的一大部分，主要市場包括美國、"
            "歐洲和東南亞的成衣工廠。即使面對匯率波動，訂單仍然維持穩定成長。",
            "不過，業者也擔心人才斷層的問題。有廠商表示，年輕人對紡織業的印象仍停留在傳統工廠，"
            "希望政府與學校合作，讓更多學生認識這個產業的創新面貌。",
        ),
    ),
    ArticleText(
        key="changhua-socks-brand",
        title="彰化社頭織襪產業轉型 打造自有品牌",
        language="zh-Hant",
        section="企業資訊",
        author="林佩君",
        paragraphs=(
            "彰化社頭被稱為臺灣的襪子王國，全臺有大約七成的襪子在這裡生產。走在鄉間小路上，"
            "常常可以聽到住家旁邊的工廠傳來織襪機運轉的聲音。",
            "過去社頭的襪廠大多為國外品牌代工，利潤微薄。近十年來，一些第二代經營者開始成立自有品牌，"
            "推出機能運動襪、除臭襪和具有在地特色的設計款，透過網路商店直接銷售給消費者。",
            "一位返鄉接手家族工廠的年輕老闆說，他把父親累積三十年的織襪技術和自己的設計結合，"
            "還在工廠旁邊開設觀光工廠，讓遊客親手體驗從紗線到成品的過程。",
            "地方政府也舉辦襪子節和產業展覽，希望讓更多人認識社頭織襪的故事，"
            "帶動地方經濟並吸引年輕人回鄉發展。",
        ),
    ),
    ArticleText(
        key="recycled-pet-yarn",
        title="回收寶特瓶變身紗線 紡織業推動循環經濟",
        language="zh-Hant",
        section="永續發展",
        author="王志明",
        paragraphs=(
            "一個用過的寶特瓶，經過回收、清洗、粉碎和熔融之後，可以變成細緻的紗線，再織成衣服。"
            "這樣的技術在臺灣已經相當成熟，並成為紡織業推動循環經濟的重要項目。",
            "臺灣的資源回收率在全球名列前茅，穩定的回收體系為再生纖維提供了充足的原料。"
            "業者表示，一件運動上衣大約需要八到十個寶特瓶，而且品質與一般聚酯纖維相差無幾。",
            "除了寶特瓶，業者也在研究如何回收廢棄的衣服和漁網。由於衣服通常混合多種纖維，"
            "分離和再利用的難度較高，目前仍在實驗與試產階段。",
            "專家認為，循環經濟不只是環保議題，也是產業競爭力的來源。"
            "國際品牌對供應鏈的永續要求越來越嚴格，及早布局的企業將取得更多發展機會。",
        ),
    ),
    ArticleText(
        key="hong-kong-garment-golden-age",
        title="香港製衣業的黃金年代 老師傅憶當年",
        language="zh-Hant",
        section="產業歷史",
        author="何家豪",
        paragraphs=(
            "上世紀七十年代，製衣業是香港最重要的工業之一。觀塘、長沙灣和荃灣的工廠大廈裡，"
            "到處都是車衣女工，縫紉機的聲音從早到晚響個不停。",
            "今年七十多歲的陳師傅回憶，他十五歲就到製衣廠當學徒，從剪布、熨衣做起，後來成為版房師傅。"
            "那時候訂單多得做不完，工人常常加班到深夜，年底還有豐厚的花紅。",
            "八十年代以後，隨著內地改革開放，許多香港廠商把生產線北移到珠江三角洲，"
            "香港本地的工廠逐漸減少，但設計、採購和貿易等環節仍然留在香港。",
            "如今，一些舊工廠大廈被改建成創意空間，年輕設計師在這裡開設工作室。"
            "陳師傅說，看到年輕人願意學習做衣服的手藝，他感到十分欣慰。",
        ),
    ),
    ArticleText(
        key="smart-textiles-research",
        title="智慧紡織品研發加速 穿戴裝置結合傳統布料",
        language="zh-Hant",
        section="科技創新",
        author="張育誠",
        paragraphs=(
            "能夠量測心跳的運動衣、會發熱的手套、可以感應姿勢的護膝，這些過去只出現在科幻電影裡的產品，"
            "正逐漸走進一般人的生活。智慧紡織品已經成為紡織業最受矚目的研發方向之一。",
            "研究人員說明，智慧紡織品的關鍵在於把導電纖維和感測元件織進布料裡，同時保持衣服的柔軟、"
            "透氣和耐洗。如何讓電子元件經得起上百次的水洗，是目前最大的技術挑戰。",
            "臺灣同時擁有紡織和電子兩大產業，被認為具備發展智慧紡織品的條件。已有廠商與醫院合作，"
            "開發可以長時間監測長者健康狀況的衣物，減輕照護人員的負擔。",
            "業者預估，未來幾年智慧紡織品的市場規模將快速擴大，"
            "但產品價格、資料隱私和標準制定等問題，仍需要產業與政府共同面對。",
        ),
    ),
    ArticleText(
        key="tainan-fabric-shops",
        title="臺南傳統布莊面臨轉型 年輕世代接手經營",
        language="zh-Hant",
        section="地方產業",
        author="林佩君",
        paragraphs=(
            "臺南的西市場曾經是南臺灣最熱鬧的布料集散地，布莊一家接著一家，"
            "來自各地的裁縫師和婦女都會到這裡挑選花布和衣料。",
            "隨著成衣普及，訂做衣服的人越來越少，許多布莊生意冷清，甚至關門歇業。"
            "一位經營布莊四十年的老闆娘說，以前一天可以賣出上百碼布，現在有時候一整個下午都沒有客人。",
            "不過，也有年輕人看見新的機會。有人把祖父留下的布莊改造成手作教室，教大家縫製包包和抱枕；"
            "也有人在網路上分享布料知識，吸引喜愛手作的客人專程前來。",
            "文化工作者認為，布莊保存了許多臺灣早期的花色與生活記憶，"
            "如果能夠結合觀光與文化創意，老街區仍然可以找到新的生命力。",
        ),
    ),
    ArticleText(
        key="taiwan-mills-vietnam",
        title="臺灣紡織廠商加碼越南投資 產業鏈布局東南亞",
        language="zh-Hant",
        section="全球視野",
        author="王志明",
        paragraphs=(
            "為了貼近成衣生產基地並享受貿易協定帶來的關稅優惠，多家臺灣紡織廠商近年加碼投資越南，"
            "在當地興建紡紗、織布和染整工廠，形成更完整的產業鏈。",
            "一家上市紡織公司的主管表示，國際品牌希望供應商能夠提供從紗線到布料的一條龍服務，"
            "縮短交貨時間。把工廠設在成衣廠附近，可以大幅減少運輸成本和等待時間。",
            "然而，海外投資也面臨挑戰。當地的基層幹部不足、環保法規日趨嚴格，"
            "工資水準也逐年上升，企業必須投入更多資源在人才培訓和污水處理上。",
            "經濟學者指出，臺灣廠商在海外擴張的同時，應把研發和高附加價值的產品留在臺灣，"
            "才能維持整體產業的競爭優勢。",
        ),
    ),
    ArticleText(
        key="hakka-floral-fabric",
        title="客家花布設計走向國際 文創商品受歡迎",
        language="zh-Hant",
        section="文化創意",
        author="何家豪",
        paragraphs=(
            "大紅底色配上盛開的牡丹，這種俗稱客家花布的圖案，曾經是臺灣農村最常見的被單和衣料。"
            "如今，這些色彩鮮豔的花布正以全新的面貌出現在設計商品中。",
            "一位設計師把花布圖案重新配色，做成筆記本、帆布袋和手機殼，在文創市集上大受歡迎。"
            "她說，很多外國遊客對這種熱鬧的花色感到好奇，常常一買就是好幾件送給朋友。",
            "也有服裝品牌推出以花布為主題的系列，把傳統圖案運用在洋裝和外套上，"
            "參加海外時裝週時吸引不少媒體報導，讓國際看見臺灣的設計能量。",
            "文化研究者提醒，花布圖案的流行背後，代表著一段臺灣紡織和印染工業的歷史，"
            "希望大家在購買商品的同時，也能認識這段故事。",
        ),
    ),
)


# --------------------------------------------------------------------------------------------
# Special pages (not part of the article corpus)
# --------------------------------------------------------------------------------------------

_BAD_INPUT = ArticleText(
    key="wholesale-market-digitisation-notes",
    title="Notes From A Wholesale Market Going Digital",
    language="en",
    section="Market watch",
    author="Editorial desk",
    paragraphs=(
        "The wholesale halls of Changshu were once famous for their noise: traders shouting "
        "prices, trolleys rattling over tiles and phones ringing in every stall. Today the loudest "
        "sound in many stalls is the click of a label printer producing courier slips.",
        "Stall owners say that half of their customers now place repeat orders by messaging "
        "apps, sending photos of the garments they want and paying by transfer before the "
        "goods leave the building.",
        "The market operator has installed a parcel station in the basement where six courier "
        "companies collect goods twice a day, and it plans to open a photography studio for "
        "traders who want to sell directly to consumers online.",
        "Older traders admit the change has been hard. Some have hired nephews and nieces to run "
        "their online shops; others rent their stalls to younger operators and keep only a small "
        "counter for long-standing clients.",
    ),
)

_SSRF = ArticleText(
    key="data-centre-links-roundup",
    title="Weekly Roundup: Cloud Services For Garment Exporters",
    language="en",
    section="Technology",
    author="Editorial desk",
    paragraphs=(
        "Garment exporters in the Pearl River Delta are moving their order management systems to "
        "cloud services, hoping to share production schedules with overseas buyers in real time.",
        "Small factories say the main obstacle is not the software fee but the time needed to "
        "train merchandisers, many of whom still keep their most important records in "
        "spreadsheets on a single office computer.",
        "Consultants recommend starting with one product line and one buyer, and adding "
        "suppliers to the shared system only after the first season has run without surprises.",
        "Several industry associations have begun publishing lists of vetted providers, along "
        "with model contracts that spell out who owns the data when a partnership ends.",
    ),
)

_MALFORMED = ArticleText(
    key="malformed",
    title="Dongguan Knitwear Makers Count The Cost Of Rising Wages",
    language="en",
    section="Labour",
    author="Editorial desk",
    paragraphs=(
        "Knitwear factories in Dalang, the Dongguan town that calls itself the sweater capital of "
        "the world, say that wages have risen faster than prices for three years in a row, and "
        "that many experienced workers now prefer jobs closer to their hometowns.",
        "Owners have responded by buying computerised flat knitting machines, each of which can "
        "replace several hand-operated frames, although the machines still need skilled "
        "technicians to program patterns and maintain the needles.",
        "A manager at one mid-sized factory said that the firm now pays a bonus to workers who "
        "stay through the busy autumn season, and rents dormitory rooms with air conditioning "
        "and private bathrooms to keep them.",
        "Local officials expect the number of knitwear firms to fall, but say that the survivors "
        "are larger, better equipped and more likely to sell under their own brands.",
    ),
)

_WRONG_CHARSET = ArticleText(
    key="wrong-charset",
    title="常熟服装城推出线上批发平台 商户订单回升",
    language="zh-Hans",
    section="电子商务",
    author="编辑部",
    paragraphs=(
        "常熟服装城近日上线了线上批发平台，入驻商户可以把档口里的新款上传到平台，"
        "外地的采购商不用到现场也能看样下单，平台负责统一结算和物流配送。",
        "一位经营男装的商户说，平台上线一个月，他的线上订单已经占到总订单的三成左右，"
        "很多是来自西北和东北地区的小型服装店。",
        "服装城管理方表示，下一步将与快递企业合作建设集中仓储中心，缩短发货时间，"
        "并为商户提供拍摄和运营培训。",
    ),
)

_PRIVATE = (
    ArticleText(
        key="supplier-audit-notes",
        title="Internal: Supplier Audit Notes For The Autumn Season",
        language="en",
        section="Internal",
        author="Editorial desk",
        paragraphs=(
            "This page is reserved for subscribers and is excluded from crawling by robots.txt. "
            "It lists the suppliers visited by our reporters during the autumn season.",
            "Audit notes cover working hours, fire safety, wastewater permits and the share of "
            "orders subcontracted to workshops that were not disclosed to buyers.",
        ),
    ),
    ArticleText(
        key="subscriber-price-index",
        title="Internal: Subscriber Price Index Worksheet",
        language="en",
        section="Internal",
        author="Editorial desk",
        paragraphs=(
            "The subscriber price index worksheet collects weekly quotes for polyester filament, "
            "viscose staple and cotton yarn from twelve trading houses.",
            "Figures on this page are provisional and are revised every Monday before the public "
            "index is published on the market watch pages.",
        ),
    ),
)


# --------------------------------------------------------------------------------------------
# Generated English articles
# --------------------------------------------------------------------------------------------

_CITIES = (
    ("Shaoxing", "Zhejiang"),
    ("Ningbo", "Zhejiang"),
    ("Wenzhou", "Zhejiang"),
    ("Huzhou", "Zhejiang"),
    ("Jiaxing", "Zhejiang"),
    ("Suzhou", "Jiangsu"),
    ("Wuxi", "Jiangsu"),
    ("Changzhou", "Jiangsu"),
    ("Nantong", "Jiangsu"),
    ("Guangzhou", "Guangdong"),
    ("Dongguan", "Guangdong"),
    ("Shantou", "Guangdong"),
    ("Foshan", "Guangdong"),
    ("Quanzhou", "Fujian"),
    ("Jinjiang", "Fujian"),
    ("Xiamen", "Fujian"),
    ("Qingdao", "Shandong"),
    ("Dezhou", "Shandong"),
    ("Zhengzhou", "Henan"),
    ("Wuhan", "Hubei"),
    ("Changsha", "Hunan"),
    ("Chengdu", "Sichuan"),
    ("Aksu", "Xinjiang"),
    ("Shijiazhuang", "Hebei"),
    ("Nanchang", "Jiangxi"),
    ("Hefei", "Anhui"),
    ("Putian", "Fujian"),
)

_FIRMS = (
    "Hengfeng",
    "Luomeng",
    "Jinhai",
    "Xinyuan",
    "Huafang",
    "Tianhong",
    "Yongsheng",
    "Dongchen",
    "Lanyan",
    "Baoxiang",
    "Shengda",
    "Qianxi",
    "Zhongtai",
    "Fuhua",
    "Mingyang",
    "Ruifeng",
    "Kaida",
    "Haixin",
    "Jiahe",
    "Xingyue",
    "Tongda",
    "Yuanmao",
    "Songhe",
    "Longxiang",
    "Guanghui",
)

_PEOPLE = (
    "Chen Lihua",
    "Wang Jianguo",
    "Zhang Min",
    "Liu Qiang",
    "Zhao Yanping",
    "Huang Wei",
    "Zhou Xiaodong",
    "Wu Haiyan",
    "Xu Guoqing",
    "Sun Jing",
    "Ma Rui",
    "Hu Zhiwen",
    "Guo Yan",
    "He Bin",
    "Lin Shuang",
    "Luo Jun",
    "Gao Fei",
    "Zheng Hong",
    "Liang Kai",
    "Xie Ning",
    "Song Peng",
    "Tang Li",
    "Han Dong",
    "Feng Ying",
)

_MARKETS = (
    "the European Union",
    "the United States",
    "Japan",
    "South Korea",
    "Russia",
    "the Middle East",
    "West Africa",
    "Southeast Asia",
    "Latin America",
    "Australia",
)

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class _Kind:
    section: str
    suffix: str  # company name suffix
    products: tuple[str, ...]
    titles: tuple[str, ...]
    paragraphs: tuple[str, ...]


_KINDS = (
    _Kind(
        section="Market watch",
        suffix="Cotton Trading",
        products=("cotton lint", "combed cotton yarn", "long-staple cotton"),
        titles=(
            "{city} Spinners Watch {product_t} Prices As Reserve Sales Begin",
            "Cotton Traders In {city} Brace For A Volatile {month}",
        ),
        paragraphs=(
            "Spot prices for {product} in {city} rose {pct} percent over the past fortnight, "
            "traders said on Tuesday, as spinning mills in {province} rebuilt stocks ahead of "
            "the state reserve auctions expected in {month}.",
            "{person}, purchasing manager at {company}, said his mill had bought enough "
            '{product} to run for {num} days. "Nobody wants to hold a big inventory when the '
            'policy could change in a month," he said.',
            "Analysts note that the gap between domestic and imported cotton has narrowed to "
            "about {num2} yuan a tonne, the smallest in {num3} months, which has encouraged "
            "some mills in {city} to switch back to local supplies.",
            "Yarn demand remains uneven. Weavers producing denim and workwear report steady "
            "orders from {market}, while mills making fine-count yarn for shirting say buyers "
            "are placing smaller orders more often.",
            "Warehouses in {city} held roughly {num}0 thousand tonnes of {product} at the end "
            "of last month, according to the local trade association, down {pct2} percent from "
            "the same period a year earlier.",
            "Futures traders will watch the planting survey due in {month} for clues about next "
            "season, {person} added, because acreage in Xinjiang has become the single biggest "
            "factor in the national balance sheet.",
        ),
    ),
    _Kind(
        section="Foreign trade",
        suffix="Import and Export",
        products=("knitted garments", "home textiles", "woven fabrics", "technical textiles"),
        titles=(
            "{province} Exports Of {product_t} Climb {pct} Percent In {month}",
            "{city} Exporters Of {product_t} Look Beyond {market_t}",
        ),
        paragraphs=(
            "Exports of {product} from {province} rose {pct} percent year on year in {month}, "
            "customs figures released in {city} show, helped by a recovery in orders from "
            "{market} and a weaker yuan.",
            "At {company}, one of the larger exporters in {city}, the order book is full until "
            "the end of the quarter. {person}, who runs the firm's overseas sales team, said "
            "buyers from {market} had returned after two cautious seasons.",
            "Exporters warn that the numbers hide pressure on margins. Freight rates to {market} "
            "have risen by about {pct2} percent since spring, and buyers increasingly ask "
            "suppliers to hold stock in bonded warehouses near the port.",
            "The provincial commerce department said {num} companies in {city} had registered "
            "for the new cross-border settlement scheme, which lets small exporters receive "
            "payment in yuan and avoid some of the costs of currency conversion.",
            "Industry groups expect {product} to remain the strongest category this year, "
            "while lower-value items such as basic socks and towels continue to move to "
            "factories in South and Southeast Asia.",
            "{person} said the company would send {num3} sales staff to trade fairs in "
            "{market} next season, the largest delegation in its history.",
        ),
    ),
    _Kind(
        section="E-commerce",
        suffix="Apparel E-commerce",
        products=("women's dresses", "children's wear", "sports shoes", "down jackets"),
        titles=(
            "Online Shop Operators In {city} Prepare For Singles Day Rush",
            "How A {city} Workshop Sells {product_t} Directly To Online Shoppers",
        ),
        paragraphs=(
            "In a converted warehouse on the edge of {city}, {num} young employees of {company} "
            "photograph, pack and ship {product} for online customers, working in two shifts "
            "during the busiest weeks of the year.",
            "{person}, who founded the business after years of selling at a wholesale market, "
            'said online orders now account for {pct} percent of revenue. "Customers decide in '
            'seconds, so the photos and the delivery time matter more than the shop sign."',
            "The company restocks its best sellers within {num3} days, relying on a network of "
            "small sewing workshops in {province} that can switch production between styles "
            "with very little notice.",
            "Returns remain the biggest headache. About {pct2} percent of {product} sold online "
            "come back, most because of sizing, and the firm has started adding measurement "
            "videos to every listing.",
            "Local officials in {city} have opened an e-commerce park that offers cheap rent, "
            "shared photography studios and a courier hub, and say more than {num} online "
            "sellers have moved in since it opened.",
            "Looking ahead, {person} hopes to open a shop on a cross-border platform aimed at "
            "{market}, where she believes Chinese design now sells on style rather than price.",
        ),
    ),
    _Kind(
        section="Enterprise information",
        suffix="Textile Machinery",
        products=("air-jet looms", "circular knitting machines", "automatic cutting tables"),
        titles=(
            "{company} Installs {product_t} To Cut Labour Costs",
            "Automation Spreads Through {city} Weaving Sheds",
        ),
        paragraphs=(
            "{company} has installed {num} new {product} at its plant in {city}, part of a "
            "programme to raise output without adding workers as wages in {province} keep "
            "rising.",
            "General manager {person} said each machine replaces the work of several operators "
            "and runs around the clock. The firm expects to recover the investment in about "
            "{num3} years.",
            "Workers who used to tend the old equipment have been retrained to monitor the "
            'new lines from a control room. "Their job is now to prevent stoppages, not to '
            'fix them," {person} said.',
            "Machinery suppliers say orders for {product} from {province} rose {pct} percent "
            "last year, as factories that once relied on migrant labour face a shrinking pool "
            "of young workers.",
            "Not every firm can afford the change. Smaller mills in {city} say bank loans for "
            "equipment remain hard to obtain, and some lease second-hand machines imported "
            "from {market} instead.",
            "The local government offers a subsidy of up to {pct2} percent of the purchase "
            "price for approved equipment, provided the buyer meets new energy consumption "
            "targets within two years.",
        ),
    ),
    _Kind(
        section="Footwear industry dynamics",
        suffix="Shoes",
        products=("running shoes", "women's boots", "canvas sneakers", "leather loafers"),
        titles=(
            "{city} Shoemakers Turn To Own Brands For {product_t}",
            "Footwear Cluster In {city} Works Together On {product_t} Design",
        ),
        paragraphs=(
            "Shoemakers in {city} produced more than {num} million pairs of {product} last year, "
            "but most were sold under other companies' names. A group of local firms now wants "
            "to change that.",
            "{company} opened a design centre this spring and hired {num3} designers, some of "
            "whom previously worked for brands in {market}. Chairman {person} said the aim is "
            "to launch two collections a year under the company's own label.",
            "Local officials have organised shared testing laboratories so that smaller "
            "factories can certify the durability and safety of their {product} without "
            "sending samples to distant cities.",
            "Sales through the firm's online flagship store grew {pct} percent in the first "
            "half, while wholesale orders from department stores fell slightly.",
            "The industry association in {city} estimates that own-brand goods account for "
            "about {pct2} percent of local output, up from a negligible share a decade ago.",
            '{person} admits that building a brand takes patience. "We know how to make a '
            'good shoe; we are still learning how to tell people why they should buy it."',
        ),
    ),
    _Kind(
        section="Expo news",
        suffix="Exhibition",
        products=("fabrics", "accessories", "yarns", "garment machinery"),
        titles=(
            "{city} Textile Fair Draws Buyers From {market_t}",
            "{product_t} Take Centre Stage At {city} Trade Fair",
        ),
        paragraphs=(
            "The annual textile fair in {city} opened on Thursday with {num} exhibitors "
            "showing {product}, and organisers expect more than {num2} trade visitors over its "
            "three days.",
            "Buyers from {market} were among the most visible groups in the halls. {person}, "
            "an importer who has attended the fair for {num3} years, said prices were stable "
            "but suppliers were more willing to accept small trial orders.",
            "{company} used the fair to launch a range of {product} made with recycled fibre "
            "and low-impact dyes, responding to requests from European retailers.",
            "Organisers said the number of exhibitors from outside {province} rose {pct} "
            "percent, reflecting the fair's effort to become a national rather than a "
            "regional event.",
            "A forum on the second day discussed supply chain transparency, with several "
            "speakers arguing that traceable raw materials would soon be a requirement for "
            "selling to major brands.",
            "Contracts worth an estimated {num2} million yuan were signed on the first day, "
            "{pct2} percent more than last year, according to the organising committee.",
        ),
    ),
    _Kind(
        section="Sustainability",
        suffix="Printing and Dyeing",
        products=("wastewater", "steam", "dye chemicals"),
        titles=(
            "{city} Dyeing Mills Cut {product_t} Use Under New Rules",
            "Cleaner Production Pays Off For {company}",
        ),
        paragraphs=(
            "Dyeing mills in {city} have reduced their use of {product} by {pct} percent over "
            "two years, according to the local environmental bureau, after new discharge "
            "standards took effect across {province}.",
            "{company} spent {num2} million yuan on low liquor ratio dyeing machines and a heat "
            "recovery system. Technical director {person} said the equipment paid for itself "
            "faster than expected because of lower energy bills.",
            "Inspectors now visit each mill at least {num3} times a year, and online monitors "
            "on discharge pipes send readings directly to the bureau, leaving little room for "
            "the violations that were common a decade ago.",
            "Some small mills closed rather than invest, and their orders moved to larger "
            "firms inside the industrial park. Buyers from {market} say the consolidation has "
            "made audits simpler.",
            "The park's central treatment plant processes about {num}0 thousand tonnes of "
            "wastewater a day and reuses part of it for cooling, cutting fresh water intake by "
            "{pct2} percent.",
            '{person} believes cleaner production will become a selling point. "Brands ask for '
            'our water data before they ask for our prices," he said.',
        ),
    ),
    _Kind(
        section="Logistics",
        suffix="Logistics",
        products=("rail freight", "container shipping", "bonded warehousing"),
        titles=(
            "New {product_t} Link Cuts Delivery Times For {city} Garment Makers",
            "{city} Garment Makers Test {product_t} To {market_t}",
        ),
        paragraphs=(
            "A new {product} service connecting {city} with {market} has cut delivery times "
            "for garment makers by about {num3} days, according to {company}, which operates "
            "the route.",
            "{person}, the company's operations director, said {num} containers were shipped "
            "in the first month, most of them carrying knitwear and home textiles made in "
            "{province}.",
            "Exporters say reliability matters more than speed. A shipment that arrives "
            "on the promised day lets buyers in {market} plan promotions, while a delay can "
            "mean goods miss the season entirely.",
            "Costs remain about {pct} percent higher than the slowest sea routes, but lower "
            "than air freight, which makes the service attractive for fashion items with "
            "short selling windows.",
            "Local customs officers have set up a dedicated inspection lane for textile "
            "shipments, and say clearance now takes less than {num3} hours for most cargo.",
            "Operators plan to increase frequency next year if volumes grow by another "
            "{pct2} percent, {person} said.",
        ),
    ),
    _Kind(
        section="Brand news",
        suffix="Fashion Group",
        products=("menswear", "casual wear", "lingerie", "outdoor apparel"),
        titles=(
            "{company} Opens Flagship Stores For Its {product_t} Line",
            "{city} {product_t} Brand Bets On Large Stores",
        ),
        paragraphs=(
            "{company}, a {product} maker based in {city}, will open {num3} large flagship "
            "stores this year, betting that shoppers still want to touch and try clothes "
            "despite the growth of online retail.",
            "Chief executive {person} said each store will be larger than {num}00 square "
            'metres and include fitting lounges, a tailoring corner and a cafe. "The store has '
            'to be worth the trip," she said.',
            "The company's sales rose {pct} percent last year, with online channels growing "
            "faster than physical shops, but the stores remain more profitable because "
            "customers return less of what they buy there.",
            "Analysts in {province} caution that rents in prime shopping districts keep "
            "rising, and that several rivals have closed outlets after expanding too quickly.",
            "The brand is also testing a membership programme that links online and offline "
            "purchases, allowing customers to order a size in one city and collect it in "
            "another.",
            "Inventory control is the test, {person} added: the firm aims to sell at least "
            "{pct2} percent of each season's goods at full price before discounts begin.",
        ),
    ),
    _Kind(
        section="Labour",
        suffix="Garment Co.",
        products=("sewing workers", "pattern makers", "machine technicians"),
        titles=(
            "{city} Factories Compete For {product_t} As Holiday Ends",
            "Wages For {product_t} In {city} Rise Again",
        ),
        paragraphs=(
            "Garment factories in {city} are once again competing for {product} after the "
            "Spring Festival, offering signing bonuses and free meals to attract workers back "
            "from their hometowns.",
            "{company} raised basic monthly pay by {pct} percent this year. Human resources "
            "manager {person} said the factory still had {num3} vacancies on its sewing lines "
            "two weeks after the holiday.",
            "Many experienced workers now prefer jobs closer to home in inland provinces, where "
            "new industrial parks have opened in recent years, and younger people often choose "
            "service jobs over factory work.",
            "Factories have responded by improving dormitories, shortening overtime and "
            "introducing piece-rate bonuses that reward quality as well as speed.",
            "A survey by the local labour bureau found that average wages for {product} in "
            "{province} have risen {pct2} percent over three years, faster than the prices "
            "factories receive from buyers.",
            '{person} expects more automation: "We will always need skilled hands, but we '
            'cannot build a business on finding {num} new workers every spring."',
        ),
    ),
    _Kind(
        section="Silk and heritage",
        suffix="Silk",
        products=("silk scarves", "brocade", "embroidered silk"),
        titles=(
            "{city} Workshop Revives Traditional {product_t}",
            "Young Designers Give {city} {product_t} A Modern Look",
        ),
        paragraphs=(
            "In a quiet lane in {city}, a small workshop run by {company} is keeping alive the "
            "techniques behind traditional {product}, a craft that once supported thousands of "
            "families in {province}.",
            "{person}, who learned weaving from her grandmother, now trains {num3} apprentices. "
            "A single piece can take several weeks on a hand loom, and the workshop accepts "
            "only a limited number of commissions each year.",
            "To reach younger customers, the workshop works with designers who turn classic "
            "patterns into smaller items such as bookmarks, phone cases and ties, which sell "
            "well in museum shops and online.",
            "Sales rose {pct} percent last year, and collectors from {market} have begun "
            "ordering pieces through the workshop's online shop.",
            "The city government lists the craft as intangible cultural heritage and pays part "
            "of the apprentices' wages, a subsidy worth about {num2} thousand yuan a year.",
            '{person} says the real challenge is time. "Young people like the result, but few '
            'have the patience to sit at a loom for eight hours a day."',
        ),
    ),
    _Kind(
        section="Policy",
        suffix="Industrial Park",
        products=("land use", "electricity prices", "tax rebates"),
        titles=(
            "{province} Adjusts {product_t} Rules To Keep Textile Firms",
            "{city} Industrial Park Offers {product_t} Support To Textile Makers",
        ),
        paragraphs=(
            "Authorities in {province} have adjusted rules on {product} to keep textile "
            "manufacturers from moving to lower-cost regions, officials in {city} said at a "
            "briefing on Wednesday.",
            "Under the new measures, qualifying firms can save about {pct} percent of their "
            "annual costs. {person}, deputy director of the {company} management committee, "
            "said {num} companies have applied so far.",
            "The measures favour firms that invest in automation, design and cleaner "
            "production. Companies that only expand capacity for low-value products will not "
            "qualify, {person} said.",
            "Business owners welcomed the support but said approval procedures remain slow. "
            "One owner said it took {num3} months to complete the paperwork for a previous "
            "programme.",
            "Economists note that inland provinces are offering similar incentives, and that "
            "coastal regions must compete on skills and supply chains rather than cost alone.",
            "The park expects output from textile firms to grow {pct2} percent this year, "
            "mainly from companies supplying buyers in {market}.",
        ),
    ),
)

_GENERIC = (
    "Industry observers say the experience of {company} reflects a wider shift in {province}, "
    "where manufacturers are trying to move from volume to value after years of competing "
    "mainly on price.",
    "The national textile industry association has forecast growth of around {pct2} percent "
    "for the sector this year, a figure {person} described as realistic, while warning that "
    "rising costs and trade frictions with {market} could weigh on profits.",
    "For {company} and its neighbours in {city}, the next few months will show whether the "
    "recent recovery in orders is a lasting trend or a brief rebound after a difficult season.",
    "Bank lending to small textile enterprises in {city} rose about {pct} percent in the first "
    "quarter, but owners such as {person} say collateral requirements still keep many of them "
    "out of the formal credit system.",
    "The experience of {company} is closely watched by its neighbours in {city}, several of "
    "which are considering similar moves but remain cautious about committing capital before "
    "the outlook becomes clearer.",
)


def _title_case(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


def _generated(count: int) -> list[ArticleText]:
    rng = random.Random(20150101)
    articles: list[ArticleText] = []
    used: set[str] = set()
    for i in range(count):
        kind = _KINDS[i % len(_KINDS)]
        city, province = _CITIES[(i * 7 + 3) % len(_CITIES)]
        market = _MARKETS[(i * 3 + 1) % len(_MARKETS)]
        product = kind.products[(i // len(_KINDS)) % len(kind.products)]
        slots = {
            "city": city,
            "province": province,
            "company": f"{_FIRMS[i % len(_FIRMS)]} {kind.suffix}",
            "person": _PEOPLE[(i * 5 + 2) % len(_PEOPLE)],
            "product": product,
            "product_t": _title_case(product),
            "market": market,
            "market_t": market.removeprefix("the "),
            "month": _MONTHS[(i * 5) % 12],
            "pct": rng.randint(4, 38),
            "pct2": rng.randint(3, 27),
            "num": rng.randint(12, 480),
            "num2": rng.randint(150, 9000),
            "num3": rng.randint(2, 11),
        }
        title = kind.titles[(i // len(_KINDS)) % len(kind.titles)].format(**slots)
        n_par = 4 + (i * 3) % 7  # 4..10
        # Kind paragraphs first, then the generic ones; skip any text an earlier article of
        # the same kind already used, so every paragraph on the site is distinct.
        candidates = [t.format(**slots) for t in kind.paragraphs]
        candidates += [t.format(**slots) for t in rng.sample(_GENERIC, len(_GENERIC))]
        paragraphs = tuple([c for c in candidates if c not in used][:n_par])
        used.update(paragraphs)
        articles.append(
            ArticleText(
                key=slugify(title),
                title=title,
                language="en",
                section=kind.section,
                author=_PEOPLE[(i * 11 + 7) % len(_PEOPLE)],
                paragraphs=paragraphs,
            )
        )
    return articles


@cache
def corpus() -> tuple[ArticleText, ...]:
    """All regular articles, seed first, each with a distinct publication date."""
    english = _generated(46)
    ordered: list[ArticleText] = [SEED]
    zh = [a for pair in zip(ZH_HANS, ZH_HANT, strict=False) for a in pair] + list(ZH_HANS[8:])
    # Interleave: roughly every third article is Chinese, mixed ones early.
    ordered += [MIXED[0], english[0], zh[0], MIXED[1]]
    e, z = 1, 1
    while e < len(english) or z < len(zh):
        for _ in range(2):
            if e < len(english):
                ordered.append(english[e])
                e += 1
        if z < len(zh):
            ordered.append(zh[z])
            z += 1
    start = date(2014, 3, 3)
    dated = [
        replace(a, published=start + timedelta(days=5 * i + (i * 7) % 3))
        for i, a in enumerate(ordered)
    ]
    # The seed text quotes a meeting of December 2014: date it accordingly.
    dated[0] = replace(dated[0], published=date(2014, 12, 30))
    _check_unique(dated)
    return tuple(dated)


def special_texts() -> dict[str, ArticleText]:
    """Pages outside the corpus: bad-input hub, SSRF bait, malformed, wrong charset, private."""
    texts = {
        "bad_input": _BAD_INPUT,
        "ssrf": _SSRF,
        "malformed": _MALFORMED,
        "wrong_charset": _WRONG_CHARSET,
    }
    for i, text in enumerate(_PRIVATE):
        texts[f"private{i}"] = text
    day = date(2015, 6, 1)
    return {
        k: replace(v, published=day + timedelta(days=i)) for i, (k, v) in enumerate(texts.items())
    }


def _check_unique(articles: list[ArticleText]) -> None:
    seen_par: set[str] = set()
    seen_title: set[str] = set()
    seen_key: set[str] = set()
    for art in articles:
        if art.title in seen_title or art.key in seen_key:
            raise ValueError(f"duplicate article {art.key!r}")
        seen_title.add(art.title)
        seen_key.add(art.key)
        for par in art.paragraphs:
            if par in seen_par:
                raise ValueError(f"duplicate paragraph in {art.key!r}: {par[:60]!r}")
            seen_par.add(par)

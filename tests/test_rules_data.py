"""The built-in rule data (``src/citecheck/data/rules.json``), pinned case by case.

Every case is a realistic URL as people paste it into articles: trackers mixed with content
parameters, odd encodings, ``&amp;`` artefacts, fragments. Expected outputs are written by hand.
Negative cases (content that must survive) are as important as the positive ones.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

import citecheck
from citecheck.clean.rules import RuleSet

# --------------------------------------------------------------------------------------------
# Generic trackers: removed on every site.
# --------------------------------------------------------------------------------------------

GENERIC: list[tuple[str, str]] = [
    # utm family, any suffix, any case, percent-encoded names, repeated keys
    (
        "https://www.example.com/blog/post-1?utm_source=newsletter&utm_medium=email&utm_campaign=spring&id=42",
        "https://www.example.com/blog/post-1?id=42",
    ),
    (
        "https://example.org/a?UTM_Source=Twitter&Utm_Medium=social&page=2",
        "https://example.org/a?page=2",
    ),
    ("https://example.org/a?%75tm_source=x&p=7", "https://example.org/a?p=7"),
    ("https://example.org/a?utm%5Fcampaign=x&lang=de", "https://example.org/a?lang=de"),
    ("https://example.org/a?utm_source=a&utm_source=b&x=1&utm_source=c", "https://example.org/a?x=1"),
    ("https://example.org/a?utm_id=123&utm_social-type=organic&utm_brand=x", "https://example.org/a"),
    ("https://example.org/a?q=test&amp;utm_source=rss&amp;id=5", "https://example.org/a?q=test&amp;id=5"),
    ("https://example.org/a?x=%20y&utm_term=z&b=%E2%9C%93", "https://example.org/a?x=%20y&b=%E2%9C%93"),
    ("https://example.org/a?utm_source", "https://example.org/a"),
    ("https://example.org/a?utm_source=&id=1", "https://example.org/a?id=1"),
    # Facebook / Meta
    ("https://www.example.com/story?fbclid=IwAR2xyz_abc-123", "https://www.example.com/story"),
    ("https://www.example.com/story?id=9&FBCLID=IwAR2", "https://www.example.com/story?id=9"),
    (
        "https://news.example.com/item?fb_action_ids=1&fb_action_types=og.likes&fb_source=feed&fb_ref=top&a=1",
        "https://news.example.com/item?a=1",
    ),
    (
        "https://news.example.com/item?action_object_map=%5B1%5D&action_type_map=%5B%22og%22%5D&action_ref_map=%5B%5D",
        "https://news.example.com/item",
    ),
    ("https://shop.example.com/item/5?mibextid=Zxz2cZ", "https://shop.example.com/item/5"),
    ("https://news.example.com/a?fb_comment_id=123_456&x=2", "https://news.example.com/a?x=2"),
    # Google Ads and Analytics
    ("https://shop.example.com/p/1?gclid=Cj0KCQ&gclsrc=aw.ds&dclid=CJ", "https://shop.example.com/p/1"),
    (
        "https://shop.example.com/p/1?gbraid=0AAAA&wbraid=CjkKCQ&gad_source=1&color=red",
        "https://shop.example.com/p/1?color=red",
    ),
    ("https://shop.example.com/?_gl=1*abc*_ga*MTIz&_ga=2.1.2.3&gad_campaignid=123", "https://shop.example.com/"),
    ("https://shop.example.com/p/2?srsltid=AfmBOopQ&size=m", "https://shop.example.com/p/2?size=m"),
    # Microsoft, Yandex, Openstat
    ("https://shop.example.com/deal?msclkid=8d1f2b&offer=3", "https://shop.example.com/deal?offer=3"),
    (
        "https://shop.example.ru/tovar?yclid=123&ysclid=lk9&ymclid=4&_openstat=dGVzdDsxOzE7&sku=77",
        "https://shop.example.ru/tovar?sku=77",
    ),
    # Email marketing platforms
    ("https://blog.example.com/post?mc_cid=abc123&mc_eid=def456", "https://blog.example.com/post"),
    (
        "https://blog.example.com/post?_hsenc=p2ANqtz&_hsmi=12345&__hssc=1.2.3&__hstc=4.5.6&__hsfp=789",
        "https://blog.example.com/post",
    ),
    ("https://blog.example.com/post?hsCtaTracking=abc%7Cdef&section=2", "https://blog.example.com/post?section=2"),
    (
        "https://www.example.com/lp?hsa_acc=1&hsa_cam=2&hsa_grp=3&hsa_ad=4&hsa_src=g&hsa_tgt=kwd&hsa_kw=x&hsa_mt=b&hsa_net=adwords&hsa_ver=3",
        "https://www.example.com/lp",
    ),
    ("https://www.example.com/lp?mkt_tok=NzEwLVpMSC0&page=3", "https://www.example.com/lp?page=3"),
    ("https://www.example.com/lp?elqTrackId=abc&elqTrack=true&elqaid=1&elqat=1", "https://www.example.com/lp"),
    ("https://www.example.com/lp?sfmc_id=1&sfmc_sub=2&x=y", "https://www.example.com/lp?x=y"),
    ("https://www.example.com/lp?vero_conv=abc&vero_id=def", "https://www.example.com/lp"),
    ("https://www.example.com/lp?_ke=abc&_kx=def.ghi", "https://www.example.com/lp"),
    ("https://www.example.com/lp?dm_i=4YQ1,1A2B,3C4D&id=8", "https://www.example.com/lp?id=8"),
    ("https://www.example.com/lp?ml_subscriber=123&ml_subscriber_hash=a1b2", "https://www.example.com/lp"),
    ("https://www.example.com/lp?ck_subscriber_id=123456", "https://www.example.com/lp"),
    ("https://newsletter.example.com/p/issue-12?_bhlid=abc123def", "https://newsletter.example.com/p/issue-12"),
    ("https://www.example.com/lp?_bta_tid=123&_bta_c=abc", "https://www.example.com/lp"),
    ("https://www.example.com/lp?trk_contact=A&trk_msg=B&trk_module=new&trk_sid=C", "https://www.example.com/lp"),
    ("https://www.example.com/lp?bsft_clkid=1&bsft_uid=2&bsft_eid=3&bsft_mid=4", "https://www.example.com/lp"),
    ("https://www.example.com/lp?vgo_ee=abc%3D%3D&ss_email_id=5", "https://www.example.com/lp"),
    ("https://www.example.com/lp?__s=abcdefgh12&x=1", "https://www.example.com/lp?x=1"),
    ("https://www.example.com/lp?oly_anon_id=1&oly_enc_id=2&rb_clickid=3", "https://www.example.com/lp"),
    ("https://www.example.com/lp?wickedid=abc&x=1", "https://www.example.com/lp?x=1"),
    # Analytics suites
    ("https://www.example.com/lp?s_kwcid=AL!123&ef_id=abc:G:s&s_cid=em_1", "https://www.example.com/lp"),
    ("https://docs.example.com/guide?sc_channel=el&sc_campaign=launch&sc_geo=emea", "https://docs.example.com/guide"),
    ("https://www.example.co.uk/article?WT.mc_id=rss&WT.tsrc=email&wt_zmc=nl.int", "https://www.example.co.uk/article"),
    ("https://shop.example.com/c?cm_mmc=email-_-promo-_-jan&cm_sp=home-_-hero", "https://shop.example.com/c"),
    ("https://news.example.com/a?ns_mchannel=rss&ns_source=PublicRSS20-sa&ns_campaign=x", "https://news.example.com/a"),
    (
        "https://www.example.org/?mtm_campaign=x&mtm_kwd=y&pk_campaign=z&pk_kwd=w&pk_source=s&pk_medium=m&pk_cid=1",
        "https://www.example.org/",
    ),
    ("https://www.example.org/?piwik_campaign=a&matomo_campaign=b&matomo_keyword=c", "https://www.example.org/"),
    # Social ad networks
    ("https://www.example.com/p?twclid=2-abc&ttclid=E.C.P&li_fat_id=uuid", "https://www.example.com/p"),
    ("https://www.example.com/p?epik=dj0yJnU9&rdt_cid=123&ScCid=abc", "https://www.example.com/p"),
    ("https://www.example.com/p?igshid=MzRlODBiNWFlZA==&x=1", "https://www.example.com/p?x=1"),
    ("https://www.example.com/p?igsh=MWQ1ZGUxMzBkMA%3D%3D", "https://www.example.com/p"),
    # Affiliate networks
    ("https://shop.example.com/p/7?irclickid=abc&irgwc=1&cjevent=def", "https://shop.example.com/p/7"),
    ("https://shop.example.com/p/7?awc=1234_abc&sscid=b1k1&tduid=xyz", "https://shop.example.com/p/7"),
    ("https://shop.example.com/p/7?ranMID=1&ranEAID=2&ranSiteID=3-abc", "https://shop.example.com/p/7"),
    ("https://shop.example.com/p/7?gdfms=1&gdftrk=2&gdffi=3&variant=blue", "https://shop.example.com/p/7?variant=blue"),
    ("https://shop.example.com/p/7?_branch_match_id=123&_branch_referrer=H4s", "https://shop.example.com/p/7"),
    ("https://shop.example.com/p/7?mkwid=abc&pcrid=123&admitad_uid=x", "https://shop.example.com/p/7"),
    (
        "https://www.example.com/product/x?spMailingID=1&spUserID=2&spJobID=3&spReportId=4&color=red",
        "https://www.example.com/product/x?color=red",
    ),
    # Miscellaneous
    ("https://www.example.com/a?itm_source=home&itm_medium=tile&itm_campaign=x", "https://www.example.com/a"),
    ("https://www.example.com/a?cmpid=org=ngr::ago=x&x=1", "https://www.example.com/a?x=1"),
    ("https://www.example.com/a?guccounter=1&guce_referrer=aHR0&guce_referrer_sig=AQAA", "https://www.example.com/a"),
    (
        "https://www.example.com/news?__cf_chl_tk=abc123&__cf_chl_rt_tk=def&__cf_chl_jschl_tk__=x&id=4",
        "https://www.example.com/news?id=4",
    ),
    ("https://www.example.com/a?cx_testId=3&cx_testVariant=cx_1&cx_artPos=0", "https://www.example.com/a"),
    ("https://www.example.nl/a?dpg_source=x&dpg_medium=y&dpg_campaign=z", "https://www.example.nl/a"),
    ("https://www.example.fr/actu/1?xtor=RSS-3208&id=4", "https://www.example.fr/actu/1?id=4"),
]

# --------------------------------------------------------------------------------------------
# Fragments: trackers go, meaningful fragments stay.
# --------------------------------------------------------------------------------------------

FRAGMENTS: list[tuple[str, str]] = [
    ("https://www.example.com/story#Echobox=1700000000", "https://www.example.com/story"),
    ("https://www.example.com/story?id=1#Echobox=1700000000-1", "https://www.example.com/story?id=1"),
    ("https://www.example.fr/article#xtor=RSS-1", "https://www.example.fr/article"),
    ("https://www.example.com/a#utm_source=feed&utm_medium=rss", "https://www.example.com/a"),
    ("https://nypost.com/2023/01/01/story/#__twitter_impression=true", "https://nypost.com/2023/01/01/story/"),
    (
        "https://www.bbc.co.uk/sport/football/123#at_medium=custom7&at_campaign=64",
        "https://www.bbc.co.uk/sport/football/123",
    ),
    (
        "https://www.example.com/news/story.amp.html#amp_tf=From%20%251%24s&aoh=16&ampshare=https%3A%2F%2Fx",
        "https://www.example.com/news/story.amp.html",
    ),
    ("https://www.example.com/a#section=2&utm_source=x", "https://www.example.com/a#section=2"),
    ("https://www.example.com/2014/05/story.html#sthash.Xq8kL2mN.dpuf", "https://www.example.com/2014/05/story.html"),
    ("https://www.example.com/post/42#.VBpLL0tdXIc", "https://www.example.com/post/42"),
    ("https://www.example.com/post/42#.U1Y8r3y1Zj8.twitter", "https://www.example.com/post/42"),
    ("https://www.example.org/welcome#_=_", "https://www.example.org/welcome"),
]

# Fragments that must come through untouched.
KEPT_FRAGMENTS: list[str] = [
    "https://en.wikipedia.org/wiki/Citation#History",
    "https://www.example.com/page#:~:text=tracking%20parameters",
    "https://app.example.com/#/route?utm_source=x",
    "https://app.example.com/#!/items/5?ref=home",
    "https://www.example.com/a#fbclid",
    "https://docs.example.com/guide#ref=setup",
    "https://www.example.com/a#page=4",
    "https://www.example.com/a#.section",
    "https://www.example.com/a#sthash",
    "https://www.example.com/a#_top",
]

# --------------------------------------------------------------------------------------------
# Per-site rules.
# --------------------------------------------------------------------------------------------

SITES: list[tuple[str, str]] = [
    (
        "https://www.nytimes.com/2024/01/05/world/story.html?smid=nytcore-ios-share&referringSource=articleShare&sgrp=c-cb",
        "https://www.nytimes.com/2024/01/05/world/story.html",
    ),
    (
        "https://www.washingtonpost.com/politics/2024/01/05/story/?wpisrc=nl_most&carta-url=https%3A%2F%2Fs2.example%2F",
        "https://www.washingtonpost.com/politics/2024/01/05/story/",
    ),
    (
        "https://edition.cnn.com/2024/01/05/politics/story/index.html?recs_exp=more",
        "https://edition.cnn.com/2024/01/05/politics/story/index.html",
    ),
    ("https://vimeo.com/123456?share=copy", "https://vimeo.com/123456"),
    ("https://www.cbc.ca/news/politics/story-1.7000000?cmp=rss", "https://www.cbc.ca/news/politics/story-1.7000000"),
    # BBC
    (
        "https://www.bbc.co.uk/news/uk-politics-67000000?at_medium=RSS&at_campaign=KARANGA",
        "https://www.bbc.co.uk/news/uk-politics-67000000",
    ),
    (
        "https://www.bbc.com/news/world-us-canada-1?at_bbc_team=editorial&at_link_type=web_link&at_ptr_name=twitter&at_format=link&at_link_origin=BBCWorld",
        "https://www.bbc.com/news/world-us-canada-1",
    ),
    (
        "https://www.bbc.com/news/live/abc?ocid=socialflow_twitter&post=asset%3A123",
        "https://www.bbc.com/news/live/abc?post=asset%3A123",
    ),
    (
        "https://www.bbc.co.uk/news/articles/c0abc?intlink_from_url=https%3A%2F%2Fwww.bbc.co.uk%2Fnews&link_location=live-reporting-story",
        "https://www.bbc.co.uk/news/articles/c0abc",
    ),
    (
        "https://www.bbc.co.uk/iplayer/episode/b0123?at_custom1=x&xtor=CS8-1000",
        "https://www.bbc.co.uk/iplayer/episode/b0123",
    ),
    # New York Times
    (
        "https://www.nytimes.com/2024/01/15/us/politics/story.html?smid=tw-nytimes&smtyp=cur",
        "https://www.nytimes.com/2024/01/15/us/politics/story.html",
    ),
    (
        "https://www.nytimes.com/2024/01/15/world/europe/story.html?unlocked_article_code=1.abc.XYZ&smid=url-share",
        "https://www.nytimes.com/2024/01/15/world/europe/story.html?unlocked_article_code=1.abc.XYZ",
    ),
    (
        "https://www.nytimes.com/2023/05/02/technology/ai.html?campaign_id=9&emc=edit_nn_20230502&instance_id=91&nl=the-morning&regi_id=123&segment_id=132&te=1&user_id=abc",
        "https://www.nytimes.com/2023/05/02/technology/ai.html",
    ),
    (
        "https://www.nytimes.com/2022/03/01/opinion/x.html?action=click&module=Opinion&pgtype=Homepage&partner=rss",
        "https://www.nytimes.com/2022/03/01/opinion/x.html",
    ),
    (
        "https://www.nytimes.com/search?query=climate&sort=best&ref=nav",
        "https://www.nytimes.com/search?query=climate&sort=best",
    ),
    # Guardian
    (
        "https://www.theguardian.com/world/2024/feb/01/story?CMP=share_btn_tw",
        "https://www.theguardian.com/world/2024/feb/01/story",
    ),
    (
        "https://www.theguardian.com/politics/live/2024/feb/01/uk-politics-live?page=with:block-65bb&CMP=Share_iOSApp_Other#block-65bb",
        "https://www.theguardian.com/politics/live/2024/feb/01/uk-politics-live?page=with:block-65bb#block-65bb",
    ),
    ("https://www.theguardian.com/a/b?INTCMP=ILCNEWTXT3487&acquisitionData=%7B%7D", "https://www.theguardian.com/a/b"),
    # Washington Post
    (
        "https://www.washingtonpost.com/politics/2024/01/02/story/?itid=hp-top-table-main&wpisrc=nl_daily202",
        "https://www.washingtonpost.com/politics/2024/01/02/story/",
    ),
    (
        "https://www.washingtonpost.com/technology/2024/01/02/x/?pwapi_token=eyJ0eXAi&tid=ss_tw&wpmk=1&wpmm=1",
        "https://www.washingtonpost.com/technology/2024/01/02/x/?pwapi_token=eyJ0eXAi",
    ),
    # CNN, Reuters, Bloomberg, WSJ, FT
    (
        "https://edition.cnn.com/2024/01/01/world/story/index.html?cid=ios_app&iid=ob_lockedrail_bottomlist",
        "https://edition.cnn.com/2024/01/01/world/story/index.html",
    ),
    (
        "https://www.cnn.com/2024/01/01/us/story/index.html?sr=twCNN010124story",
        "https://www.cnn.com/2024/01/01/us/story/index.html",
    ),
    (
        "https://www.reuters.com/world/europe/story-2024-01-01/?taid=65925b&utm_campaign=trueAnthem",
        "https://www.reuters.com/world/europe/story-2024-01-01/",
    ),
    (
        "https://www.bloomberg.com/news/articles/2024-01-01/story?srnd=premium-europe&sref=abc123&leadSource=uverify%20wall",
        "https://www.bloomberg.com/news/articles/2024-01-01/story",
    ),
    (
        "https://www.bloomberg.com/news/articles/2024-01-01/story?accessToken=eyJhbGci&sref=x",
        "https://www.bloomberg.com/news/articles/2024-01-01/story?accessToken=eyJhbGci",
    ),
    ("https://www.wsj.com/articles/story-123?mod=hp_lead_pos1", "https://www.wsj.com/articles/story-123"),
    (
        "https://www.wsj.com/articles/story-123?st=abc123&reflink=desktopwebshare_permalink",
        "https://www.wsj.com/articles/story-123?st=abc123",
    ),
    (
        "https://www.ft.com/content/0f4c1e8a-1111?ftcamp=crm/email&segmentId=abc",
        "https://www.ft.com/content/0f4c1e8a-1111",
    ),
    (
        "https://www.ft.com/content/0f4c1e8a-1111?accessToken=zwAGB&sharetype=gift&segmentid=x",
        "https://www.ft.com/content/0f4c1e8a-1111?accessToken=zwAGB&sharetype=gift",
    ),
    # Other publishers
    (
        "https://www.forbes.com/sites/someone/2024/01/01/story/?sh=5a1b2c3d4e5f",
        "https://www.forbes.com/sites/someone/2024/01/01/story/",
    ),
    ("https://www.businessinsider.com/story-2024-1?r=US&IR=T", "https://www.businessinsider.com/story-2024-1"),
    (
        "https://www.dailymail.co.uk/news/article-123/story.html?ito=social-twitter_mailonline&ns_mchannel=rss",
        "https://www.dailymail.co.uk/news/article-123/story.html",
    ),
    ("https://time.com/6300000/story/?iid=sr-link1&xid=time_socialflow_twitter", "https://time.com/6300000/story/"),
    (
        "https://www.newyorker.com/magazine/2024/01/01/story?mbid=social_twitter&cndid=123&esrc=x&source=EDT_NYR",
        "https://www.newyorker.com/magazine/2024/01/01/story",
    ),
    ("https://www.wired.com/story/x/?intcid=inline_amp&hasha=1&hashb=2&hashc=3", "https://www.wired.com/story/x/"),
    ("https://www.npr.org/2024/01/01/123/story?ft=nprml&f=1001", "https://www.npr.org/2024/01/01/123/story?f=1001"),
    (
        "https://news.yahoo.com/story-123.html?ncid=twitter_yahoonewst_abc&soc_src=social-sh&soc_trk=tw&.tsrc=daily_mail",
        "https://news.yahoo.com/story-123.html",
    ),
    (
        "https://search.yahoo.com/search?p=citation+style&fr=yfp-t&fr2=sb-top",
        "https://search.yahoo.com/search?p=citation+style",
    ),
    (
        "https://techcrunch.com/2024/01/01/story/?ncid=rss&sr_share=twitter&guccounter=1",
        "https://techcrunch.com/2024/01/01/story/",
    ),
    (
        "https://www.msn.com/en-us/news/world/story/ar-AA1abc?ocid=msedgntp&pc=U531&cvid=abc123&ei=12",
        "https://www.msn.com/en-us/news/world/story/ar-AA1abc",
    ),
    (
        "https://www.cnbc.com/2024/01/01/story.html?__source=sharebar|twitter&par=sharebar",
        "https://www.cnbc.com/2024/01/01/story.html?par=sharebar",
    ),
    ("https://www.foxnews.com/politics/story?intcmp=hpbt1", "https://www.foxnews.com/politics/story"),
    (
        "https://www.politico.com/news/2024/01/01/story-123?nname=playbook&nid=0000&nrid=abc&nlid=630318",
        "https://www.politico.com/news/2024/01/01/story-123",
    ),
    (
        "https://www.economist.com/briefing/2024/01/01/x?fsrc=scn/tw/te/bl/ed/",
        "https://www.economist.com/briefing/2024/01/01/x",
    ),
    (
        "https://www.lemonde.fr/international/article/2024/01/01/x_123_3210.html?lmd_medium=al&lmd_campaign=envoye-par-appli&lmd_creation=ios&lmd_source=default",
        "https://www.lemonde.fr/international/article/2024/01/01/x_123_3210.html",
    ),
    (
        "https://www.spiegel.de/politik/x-a-123?sara_ecid=soci_upd_wbMbjhOSvViISjc8RPU89NcCvtlFcJ",
        "https://www.spiegel.de/politik/x-a-123",
    ),
    (
        "https://www.faz.net/aktuell/politik/x-123.html?GEPC=s3&premium=0x1",
        "https://www.faz.net/aktuell/politik/x-123.html?premium=0x1",
    ),
    (
        "https://www.scmp.com/news/china/article/123/story?module=perpetual_scroll_0&pgtype=article&campaign=123",
        "https://www.scmp.com/news/china/article/123/story?campaign=123",
    ),
    (
        "https://techcommunity.microsoft.com/t5/blog/ba-p/123?ocid=social&WT.mc_id=twitter",
        "https://techcommunity.microsoft.com/t5/blog/ba-p/123",
    ),
    # Science and reference
    (
        "https://www.nature.com/articles/s41586-024-00001-1?error=cookies_not_supported&code=2a5c3a4e-1111-2222",
        "https://www.nature.com/articles/s41586-024-00001-1",
    ),
    (
        "https://link.springer.com/article/10.1007/s00000-024-0001-1?error=cookies_not_supported&code=abc",
        "https://link.springer.com/article/10.1007/s00000-024-0001-1",
    ),
    (
        "https://www.sciencedirect.com/science/article/pii/S0000000000000001?via%3Dihub",
        "https://www.sciencedirect.com/science/article/pii/S0000000000000001",
    ),
    (
        "https://www.sciencedirect.com/science/article/pii/S0000000000000001?via=ihub&dgcid=rss_sd_all",
        "https://www.sciencedirect.com/science/article/pii/S0000000000000001",
    ),
    (
        "https://www.jstor.org/stable/1234567?seq=1&refreqid=excelsior%3Aabc&searchText=x&searchUri=%2Faction&ab_segments=0",
        "https://www.jstor.org/stable/1234567?seq=1",
    ),
    (
        "https://www.researchgate.net/publication/123_Title?_tp=eyJjb250ZXh0Ijp7fX0&_sg%5B0%5D=abc&_sg%5B1%5D=def",
        "https://www.researchgate.net/publication/123_Title",
    ),
    (
        "https://academic.oup.com/brain/article/1/1/1/123?redirectedFrom=fulltext",
        "https://academic.oup.com/brain/article/1/1/1/123",
    ),
    (
        "https://en.wikipedia.org/wiki/Uniform_Resource_Locator?wprov=sfla1",
        "https://en.wikipedia.org/wiki/Uniform_Resource_Locator",
    ),
    (
        "https://en.m.wikipedia.org/w/index.php?title=URL&oldid=1190000000&wprov=sfti1",
        "https://en.m.wikipedia.org/w/index.php?title=URL&oldid=1190000000",
    ),
    ("https://www.wikidata.org/wiki/Q42?wprov=srpw1_0", "https://www.wikidata.org/wiki/Q42"),
    # YouTube
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=AbCdEfGhIjKlMnOp", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=AbCdEfGhIjKlMnOp&t=42", "https://youtu.be/dQw4w9WgXcQ?t=42"),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1234&index=3&pp=iAQB&ab_channel=RickAstley",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1234&index=3",
    ),
    ("https://www.youtube.com/watch?feature=youtu.be&v=abc&t=1m30s", "https://www.youtube.com/watch?v=abc&t=1m30s"),
    (
        "https://www.youtube.com/embed/abc?start=30&embeds_referring_euri=https%3A%2F%2Fexample.com%2F&source_ve_path=MjM4NTE",
        "https://www.youtube.com/embed/abc?start=30",
    ),
    ("https://m.youtube.com/shorts/abc123?feature=share", "https://m.youtube.com/shorts/abc123"),
    ("https://music.youtube.com/watch?v=abc&si=xyz&list=RDAMVM", "https://music.youtube.com/watch?v=abc&list=RDAMVM"),
    # X / Twitter
    ("https://twitter.com/jack/status/20?s=20&t=AbCdEf", "https://twitter.com/jack/status/20"),
    ("https://x.com/NASA/status/1700000000000000000?s=46&t=XyZ", "https://x.com/NASA/status/1700000000000000000"),
    (
        "https://twitter.com/user/status/1?ref_src=twsrc%5Etfw%7Ctwcamp%5Etweetembed&ref_url=https%3A%2F%2Fexample.com",
        "https://twitter.com/user/status/1",
    ),
    ("https://x.com/search?q=%23python&src=typed_query&f=live", "https://x.com/search?q=%23python&f=live"),
    # Facebook
    (
        "https://www.facebook.com/permalink.php?story_fbid=pfbid0abc&id=100064&__cft__[0]=AZW&__tn__=%2CO%2CP-R",
        "https://www.facebook.com/permalink.php?story_fbid=pfbid0abc&id=100064",
    ),
    (
        "https://www.facebook.com/somepage/posts/pfbid02abc?__cft__%5B0%5D=AZX&__xts__%5B0%5D=68.ARB&__tn__=%2CO%2CP-R",
        "https://www.facebook.com/somepage/posts/pfbid02abc",
    ),
    ("https://www.facebook.com/watch/?v=1234567890&ref=sharing", "https://www.facebook.com/watch/?v=1234567890"),
    (
        "https://www.facebook.com/groups/123/permalink/456/?rdid=AbC&share_url=https%3A%2F%2Fwww.facebook.com%2Fshare%2Fp%2Fx%2F&mibextid=oFDknk",
        "https://www.facebook.com/groups/123/permalink/456/",
    ),
    (
        "https://m.facebook.com/story.php?story_fbid=1&id=2&fref=nf&hc_ref=ARS&eid=ARA",
        "https://m.facebook.com/story.php?story_fbid=1&id=2",
    ),
    (
        "https://www.facebook.com/photo/?fbid=10160000&set=a.101&comment_id=555&notif_id=1&notif_t=feedback_reaction_generic",
        "https://www.facebook.com/photo/?fbid=10160000&set=a.101&comment_id=555",
    ),
    # Instagram and Threads
    ("https://www.instagram.com/p/C1abcDEF/?igsh=MWQ1ZGUxMzBkMA==", "https://www.instagram.com/p/C1abcDEF/"),
    (
        "https://www.instagram.com/reel/C1abc/?igshid=NTc4MTIwNjQ2YQ%3D%3D&utm_source=ig_web_copy_link",
        "https://www.instagram.com/reel/C1abc/",
    ),
    ("https://www.instagram.com/p/C1abc/?img_index=3&igsh=abc", "https://www.instagram.com/p/C1abc/?img_index=3"),
    ("https://www.instagram.com/natgeo/?ig_rid=abc-123&ig_mid=def", "https://www.instagram.com/natgeo/"),
    ("https://www.threads.net/@zuck/post/C0abc?xmt=AQGz&slof=1", "https://www.threads.net/@zuck/post/C0abc"),
    # LinkedIn
    (
        "https://www.linkedin.com/posts/someone_activity-7100000000000000000-abcd?utm_source=share&utm_medium=member_desktop&rcm=ACoAAA",
        "https://www.linkedin.com/posts/someone_activity-7100000000000000000-abcd",
    ),
    (
        "https://www.linkedin.com/in/someone/?originalSubdomain=uk&trk=public_profile_browsemap&lipi=urn%3Ali%3Apage%3Ad_flagship3",
        "https://www.linkedin.com/in/someone/",
    ),
    (
        "https://www.linkedin.com/jobs/view/3700000000/?refId=abc%3D%3D&trackingId=def%3D%3D&trk=flagship3_search_srp_jobs&midToken=AQE&midSig=1x&trkEmail=eml",
        "https://www.linkedin.com/jobs/view/3700000000/",
    ),
    (
        "https://www.linkedin.com/jobs/search/?currentJobId=3700&keywords=python&trk=public_jobs",
        "https://www.linkedin.com/jobs/search/?currentJobId=3700&keywords=python",
    ),
    # Reddit
    (
        "https://www.reddit.com/r/Python/comments/abc123/title/?share_id=xYz&utm_content=1&utm_medium=android_app&utm_name=androidcss&utm_source=share&utm_term=1",
        "https://www.reddit.com/r/Python/comments/abc123/title/",
    ),
    (
        "https://www.reddit.com/r/AskHistorians/comments/abc/title/def/?context=3&ref=share&ref_source=link",
        "https://www.reddit.com/r/AskHistorians/comments/abc/title/def/?context=3",
    ),
    (
        "https://old.reddit.com/r/x/comments/1/t/?%24deep_link=true&correlation_id=abc&ref_campaign=email_digest&%243p=e_as",
        "https://old.reddit.com/r/x/comments/1/t/",
    ),
    # TikTok
    (
        "https://www.tiktok.com/@user/video/7300000000000000000?_r=1&_t=8hXyz&is_from_webapp=1&sender_device=pc&is_copy_url=1",
        "https://www.tiktok.com/@user/video/7300000000000000000",
    ),
    (
        "https://www.tiktok.com/@user/video/73?share_app_id=1233&share_link_id=abc&share_item_id=73&source=h5_m&timestamp=1700000000&u_code=x&user_id=1&lang=en",
        "https://www.tiktok.com/@user/video/73?lang=en",
    ),
    # Spotify, Apple, Twitch, Steam
    (
        "https://open.spotify.com/track/4cOdK2wGLETKBW3PvgPWqT?si=a1b2c3d4e5f64789",
        "https://open.spotify.com/track/4cOdK2wGLETKBW3PvgPWqT",
    ),
    (
        "https://open.spotify.com/episode/1abc?si=xyz&context=spotify%3Ashow%3A2def&nd=1&dl_branch=1",
        "https://open.spotify.com/episode/1abc",
    ),
    (
        "https://podcasts.apple.com/us/podcast/the-daily/id1200361736?i=1000640000000&uo=4&itsct=podcast_box&itscg=30200",
        "https://podcasts.apple.com/us/podcast/the-daily/id1200361736?i=1000640000000",
    ),
    (
        "https://apps.apple.com/us/app/some-app/id123456789?ct=abc&pt=456&mt=8",
        "https://apps.apple.com/us/app/some-app/id123456789?mt=8",
    ),
    (
        "https://www.twitch.tv/videos/123456?tt_medium=mobile_web_share&tt_content=twitch_video&t=1h2m",
        "https://www.twitch.tv/videos/123456?t=1h2m",
    ),
    (
        "https://store.steampowered.com/app/570/Dota_2/?snr=1_4_4__129_1&curator_clanid=33",
        "https://store.steampowered.com/app/570/Dota_2/",
    ),
    # Medium, Substack, Quora, Pinterest, Tumblr
    (
        "https://medium.com/@author/title-1a2b3c4d5e6f?source=friends_link&sk=0123456789abcdef",
        "https://medium.com/@author/title-1a2b3c4d5e6f?sk=0123456789abcdef",
    ),
    ("https://medium.com/some-pub/title-abc?source=rss----abc---4", "https://medium.com/some-pub/title-abc"),
    (
        "https://someone.substack.com/p/the-post?r=2abcd&s=w&utm_campaign=post&utm_medium=web&triedRedirect=true",
        "https://someone.substack.com/p/the-post",
    ),
    (
        "https://open.substack.com/pub/someone/p/the-post?r=2abcd&utm_campaign=post&showWelcomeOnShare=true",
        "https://open.substack.com/pub/someone/p/the-post",
    ),
    (
        "https://www.quora.com/What-is-X/answer/Some-Person?ch=10&oid=123&share=abc&srid=xyz&target_type=answer",
        "https://www.quora.com/What-is-X/answer/Some-Person",
    ),
    (
        "https://www.pinterest.com/pin/123456789/?invite_code=abc&sender=987&sfo=1",
        "https://www.pinterest.com/pin/123456789/",
    ),
    ("https://www.tumblr.com/staff/123456/post-slug?source=share", "https://www.tumblr.com/staff/123456/post-slug"),
    # GitHub, Mailchimp archive
    (
        "https://github.com/owner/repo/issues/1?email_token=ABC&email_source=notifications&notification_referrer_id=NT_kw",
        "https://github.com/owner/repo/issues/1",
    ),
    (
        "https://us1.campaign-archive.com/?u=1a2b3c&id=4d5e6f&e=7a8b9c0d",
        "https://us1.campaign-archive.com/?u=1a2b3c&id=4d5e6f",
    ),
    ("https://mailchi.mp/example/newsletter-may?e=7a8b9c0d", "https://mailchi.mp/example/newsletter-may"),
    # Google properties
    (
        "https://www.google.com/search?q=citation+needed&oq=citation+ne&aqs=chrome.0.0i512j69i57.3124j0j7&sourceid=chrome&ie=UTF-8",
        "https://www.google.com/search?q=citation+needed",
    ),
    (
        "https://www.google.co.uk/search?q=test&sca_esv=5&sxsrf=AB5stBg&ei=abc&ved=0ahUKEwi&uact=5&gs_lp=Egxnd3Mtd2l6&sclient=gws-wiz-serp",
        "https://www.google.co.uk/search?q=test",
    ),
    (
        "https://www.google.com/search?q=cats&tbm=isch&tbs=isz:l&start=20&client=firefox-b-d&biw=1920&bih=969&dpr=1",
        "https://www.google.com/search?q=cats&tbm=isch&tbs=isz:l&start=20",
    ),
    (
        "https://www.google.de/search?q=x&hl=de&gl=de&num=50&rlz=1C1GCEA_enDE&source=hp&iflsig=AO6bgO",
        "https://www.google.de/search?q=x&hl=de&gl=de&num=50",
    ),
    (
        "https://books.google.com/books?id=AbCdEfGhIjK&pg=PA12&lpg=PA12&dq=tracking&source=bl&ots=abc&sig=ACfU3U&hl=en&sa=X&ved=2ahUKE",
        "https://books.google.com/books?id=AbCdEfGhIjK&pg=PA12&dq=tracking&hl=en",
    ),
    (
        "https://www.google.com/maps/place/Eiffel+Tower/@48.85,2.29,17z/data=!3m1?entry=ttu&g_ep=EgoyMDI0MTAyOS4wIKXMDSoASAFQAw%3D%3D",
        "https://www.google.com/maps/place/Eiffel+Tower/@48.85,2.29,17z/data=!3m1",
    ),
    (
        "https://docs.google.com/document/d/1AbC/edit?usp=sharing&ouid=1234567890&rtpof=true&sd=true",
        "https://docs.google.com/document/d/1AbC/edit",
    ),
    (
        "https://drive.google.com/file/d/1AbC/view?usp=drive_link&resourcekey=0-xyz",
        "https://drive.google.com/file/d/1AbC/view?resourcekey=0-xyz",
    ),
    (
        "https://play.google.com/store/apps/details?id=com.example.app&pcampaignid=web_share&hl=en",
        "https://play.google.com/store/apps/details?id=com.example.app&hl=en",
    ),
    # Bing
    (
        "https://www.bing.com/search?q=python+urls&form=QBLH&sp=-1&pq=python+url&sc=10-10&qs=n&sk=&cvid=ABC123&ghsh=0&ghacc=0",
        "https://www.bing.com/search?q=python+urls",
    ),
    # Amazon
    (
        "https://www.amazon.com/Some-Product-Name/dp/B08N5WRWNW/ref=sr_1_1?crid=2M096C61O4MLT&keywords=echo+dot&qid=1605552456&sprefix=echo%2Caps%2C123&sr=8-1",
        "https://www.amazon.com/Some-Product-Name/dp/B08N5WRWNW",
    ),
    (
        "https://www.amazon.de/dp/B0ABCDEF12/?tag=affiliate-21&linkCode=ogi&th=1&psc=1",
        "https://www.amazon.de/dp/B0ABCDEF12/?th=1&psc=1",
    ),
    (
        "https://www.amazon.co.uk/gp/product/B00ABCDEFG/ref=ppx_yo_dt_b_asin_title_o00_s00?ie=UTF8&psc=1",
        "https://www.amazon.co.uk/gp/product/B00ABCDEFG?psc=1",
    ),
    (
        "https://www.amazon.com/dp/B00TEST123?pd_rd_w=abc&pf_rd_p=def&pf_rd_r=ghi&pd_rd_r=jkl&pd_rd_wg=mno&ref_=pd_gw_ci_mcx_mr_hp_d",
        "https://www.amazon.com/dp/B00TEST123",
    ),
    (
        "https://www.amazon.com/dp/B00TEST123?creativeASIN=B00TEST123&linkId=abc&ascsubtag=xyz&camp=1789&creative=9325",
        "https://www.amazon.com/dp/B00TEST123",
    ),
    (
        "https://www.amazon.co.jp/dp/B0TEST/?__mk_ja_JP=%E3%82%AB%E3%82%BF%E3%82%AB%E3%83%8A&dib=eyJ2&dib_tag=se",
        "https://www.amazon.co.jp/dp/B0TEST/",
    ),
    (
        "https://www.amazon.com/s?k=usb+c+cable&i=electronics&rh=n%3A172282&s=price-asc-rank&page=2&crid=X&qid=1&sprefix=usb&ref=sr_pg_2",
        "https://www.amazon.com/s?k=usb+c+cable&i=electronics&rh=n%3A172282&s=price-asc-rank&page=2",
    ),
    # eBay
    (
        "https://www.ebay.com/itm/123456789012?hash=item1cbe:g:abcAAOSw&amdata=enc%3AAQAI&_trkparms=ispr%3D1&_trksid=p2047675.m570",
        "https://www.ebay.com/itm/123456789012",
    ),
    (
        "https://www.ebay.co.uk/itm/1234?mkcid=16&mkevt=1&mkrid=711-127632-2357-0&ssspo=abc&sssrc=2047675&ssuid=x&widget_ver=artemis&media=COPY&var=5678",
        "https://www.ebay.co.uk/itm/1234?var=5678",
    ),
    (
        "https://www.ebay.de/sch/i.html?_nkw=laptop&_from=R40&_trksid=p2380057",
        "https://www.ebay.de/sch/i.html?_nkw=laptop",
    ),
    # AliExpress, Taobao
    (
        "https://www.aliexpress.com/item/1005001234567890.html?spm=a2g0o.home.0.0.abc&algo_pvid=xyz&algo_exp_id=1&aff_fcid=abc&aff_fsk=def&aff_platform=portals-tool&sk=_dTzZ&aff_trace_key=x&terminal_id=y&sku_id=12000",
        "https://www.aliexpress.com/item/1005001234567890.html?algo_exp_id=1&sku_id=12000",
    ),
    (
        "https://item.taobao.com/item.htm?id=600000000000&spm=a21n57.1.0.0&ali_refid=a3_430&ali_trackid=1_abc&skuId=4500",
        "https://item.taobao.com/item.htm?id=600000000000&skuId=4500",
    ),
    # Walmart, Target, Best Buy, Etsy
    (
        "https://www.walmart.com/ip/Some-Product/123456789?athbdg=L1600&athcpid=123&from=%2Fsearch&u1=abc&wmlspartner=xyz&selectedSellerId=0",
        "https://www.walmart.com/ip/Some-Product/123456789?selectedSellerId=0",
    ),
    (
        "https://www.target.com/p/product/-/A-12345678?preselect=12345679&lnk=sametab&clkid=abc&cpng=PTID1&afid=Pepperjam",
        "https://www.target.com/p/product/-/A-12345678?preselect=12345679",
    ),
    (
        "https://www.bestbuy.com/site/some-tv/6500000.p?skuId=6500000&irclickid=abc&irgwc=1&loc=1&acampID=0&mpid=123&intl=nosplash",
        "https://www.bestbuy.com/site/some-tv/6500000.p?skuId=6500000",
    ),
    (
        "https://www.etsy.com/listing/123456789/handmade-thing?click_key=abc&click_sum=def&ref=hp_rv-2&pro=1&frs=1&ga_order=most_relevant&ga_search_type=all&sts=1&organic_search_click=1&variation0=111",
        "https://www.etsy.com/listing/123456789/handmade-thing?variation0=111",
    ),
    ("https://www.etsy.com/search?q=mug&ref=search_bar", "https://www.etsy.com/search?q=mug"),
    # IMDb, Goodreads, Booking
    ("https://www.imdb.com/title/tt0111161/?ref_=nv_sr_srsg_0", "https://www.imdb.com/title/tt0111161/"),
    (
        "https://m.imdb.com/name/nm0000151/?pf_rd_m=A2FGELUUNOQJNL&pf_rd_p=abc&ref_=hm_fanfav",
        "https://m.imdb.com/name/nm0000151/",
    ),
    (
        "https://www.goodreads.com/book/show/5470.1984?from_search=true&from_srp=true&qid=AbC&rank=1&ac=1",
        "https://www.goodreads.com/book/show/5470.1984",
    ),
    (
        "https://www.booking.com/hotel/fr/some-hotel.html?aid=304142&label=gen173nr-1&sid=abc&checkin=2024-05-01&srpvid=x&hpos=1&hapos=1",
        "https://www.booking.com/hotel/fr/some-hotel.html?checkin=2024-05-01",
    ),
]

# --------------------------------------------------------------------------------------------
# Negative cases: content parameters that no rule may touch. Each URL must come back unchanged.
# --------------------------------------------------------------------------------------------

UNCHANGED: list[str] = [
    # YouTube content
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=7",
    "https://www.youtube.com/watch?v=abc&start=30&end=60",
    "https://www.youtube.com/watch?v=abc&lc=UgzAbC",
    "https://www.youtube.com/results?search_query=citation+style&sp=EgIQAQ%253D%253D",
    "https://youtu.be/dQw4w9WgXcQ?t=90",
    # Google content
    "https://www.google.com/search?q=%22exact+phrase%22&tbm=nws&tbs=qdr:y&start=10",
    "https://www.google.com/search?q=test&udm=14",
    "https://scholar.google.com/scholar?cluster=123456789&hl=en&as_sdt=0,5",
    "https://translate.google.com/?sl=de&tl=en&text=Hallo&op=translate",
    "https://news.google.com/topstories?hl=en-US&gl=US&ceid=US:en",
    "https://docs.google.com/spreadsheets/d/1AbC/edit?gid=0#gid=0",
    "https://docs.google.com/document/d/1AbC/export?format=pdf",
    "https://www.google.com/maps/place/?q=place_id:ChIJ&cid=1234567890",
    # GitHub and GitLab refs
    "https://github.com/python/cpython/blob/main/Lib/urllib/parse.py?plain=1#L10-L20",
    "https://github.com/owner/repo/tree/v1.2.3?ref=refs/heads/main",
    "https://github.com/search?q=clearurls&type=repositories",
    "https://github.com/owner/repo/compare/a...b?diff=split&w=1",
    "https://api.github.com/repos/owner/repo/contents/README.md?ref=dev",
    "https://gitlab.com/group/project/-/blob/main/README.md?ref_type=heads",
    # WordPress and generic CMS
    "https://blog.example.com/?p=1234",
    "https://blog.example.com/?page_id=56",
    "https://blog.example.com/?s=privacy&paged=2",
    "https://www.example.com/article.php?id=987&page=3&lang=fr",
    "https://forum.example.org/viewtopic.php?t=4567&start=15",
    "https://www.example.com/search?query=url+cleaning&sort=date",
    "https://www.example.com/products?category=books&from=2020&to=2024",
    "https://www.example.com/a?ref=abc&source=xyz&src=1&cid=7&sr=2&share=1&campaign=x",
    "https://www.example.com/download?file=report.pdf&v=2",
    "https://www.example.com/a?s=1&t=2&r=3",
    # Facebook content ids
    "https://www.facebook.com/permalink.php?story_fbid=pfbid0abc&id=100064",
    "https://www.facebook.com/photo.php?fbid=10150000&set=a.10150&type=3",
    "https://www.facebook.com/watch/?v=1234567890",
    "https://www.facebook.com/groups/123/posts/456/?comment_id=789&reply_comment_id=790",
    # Amazon product pages
    "https://www.amazon.com/dp/B08N5WRWNW",
    "https://www.amazon.co.uk/Some-Book-Title/dp/0141036141",
    "https://www.amazon.com/gp/product/B00ABCDEFG?psc=1",
    "https://www.amazon.com/dp/B00TEST123?th=1&smid=ATVPDKIKX0DER",
    "https://www.amazon.com/s?k=citation+manager",
    "https://aws.amazon.com/blogs/aws/new-feature/",
    # Search boxes and paging
    "https://www.bing.com/search?q=hello+world&first=11",
    "https://duckduckgo.com/?q=privacy&ia=web",
    "https://search.yahoo.com/search?p=hello",
    "https://www.ebay.com/sch/i.html?_nkw=vintage+camera&_pgn=2",
    "https://www.etsy.com/search?q=handmade+mug&page=2",
    "https://www.reddit.com/r/python/comments/abc/title/def/?context=3&sort=top",
    "https://www.reddit.com/search/?q=citations&type=link",
    "https://x.com/search?q=from%3Anasa&f=live",
    "https://www.tiktok.com/search?q=cats&lang=en",
    # Wikimedia
    "https://en.wikipedia.org/w/index.php?title=URL&oldid=1190000000&diff=prev",
    "https://en.wikipedia.org/w/index.php?title=Special:Search&search=url+normalization",
    "https://commons.wikimedia.org/w/index.php?title=File:Example.jpg&uselang=de",
    # Gift links and friend links keep their access token
    "https://www.nytimes.com/2024/01/15/world/story.html?unlocked_article_code=1.abc.XYZ",
    "https://www.washingtonpost.com/politics/2024/01/02/story/?pwapi_token=eyJ0eXAi",
    "https://medium.com/@a/title-123?sk=0123456789abcdef",
    "https://www.wsj.com/articles/story-123?st=abc123",
    # Instagram, Apple, Spotify, Twitch content
    "https://www.instagram.com/p/C1abcDEF/?img_index=2",
    "https://podcasts.apple.com/us/podcast/x/id123?i=1000640000000",
    "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
    "https://www.twitch.tv/videos/123456?t=1h2m3s",
    # A generic tracker name that is content on one family of sites (keep rule univis)
    "https://univis.uni-erlangen.de/form?__s=2&dsc=anew/lecture_view&lvs=abc",
    # Science
    "https://www.jstor.org/stable/1234567?seq=3",
    "https://doi.org/10.1000/xyz123",
    "https://arxiv.org/abs/2401.00001v2",
    "https://pubmed.ncbi.nlm.nih.gov/12345678/?dopt=Abstract",
    "https://www.nature.com/search?q=crispr&order=relevance",
    # Lookalikes of tracker names that are not trackers
    "https://www.example.com/a?utm=1",
    "https://www.example.com/a?my_utm_source=x",
    "https://www.example.com/a?fbclid_note=1",
    "https://www.example.com/a?gclidx=1",
    "https://www.example.com/a?x=utm_source&y=fbclid",
    "https://www.example.com/?mc=1&ga=2",
    # Hosts that only look like a covered site
    "https://notbbc.com/news?at_medium=custom&at_link_type=web_link",
    "https://www.example.org/?at_medium=email&at_campaign=x",
    "https://www.example.com/watch?v=abc&si=xyz",
    "https://amazon-reviews.example.com/dp/B00TEST?ref=abc&tag=x",
    "https://www.example.com/status/1?s=20&t=AbC",
    # Non-http and malformed input is left alone
    "mailto:someone@example.com?subject=hi&utm_source=x",
    "doi:10.1000/xyz?utm_source=x",
    "ftp://ftp.example.com/file?utm_source=x",
    "not a url",
    "",
]

# --------------------------------------------------------------------------------------------
# Redirect wrappers: unwrapped offline, then the target is cleaned. (wrapper, expected, rule id)
# --------------------------------------------------------------------------------------------

WRAPPERS: list[tuple[str, str, str]] = [
    (
        "https://www.google.com/url?sa=t&rct=j&q=&esrc=s&source=web&cd=&ved=2ahUKEwi&url=https%3A%2F%2Fwww.example.com%2Farticle%3Futm_source%3Dgoogle%26id%3D3&usg=AOvVaw",
        "https://www.example.com/article?id=3",
        "google-url",
    ),
    (
        "https://www.google.co.uk/url?q=https://www.bbc.co.uk/news/uk-1%3Fat_medium%3DRSS&sa=D&source=docs&ust=1700&usg=AOv",
        "https://www.bbc.co.uk/news/uk-1",
        "google-url",
    ),
    (
        "https://www.google.com/imgres?imgurl=https%3A%2F%2Fcdn.example.com%2Fa.jpg&imgrefurl=https%3A%2F%2Fwww.example.com%2Fgallery%3Futm_medium%3Dimg&tbnid=abc&vet=12&docid=x",
        "https://www.example.com/gallery",
        "wrapper-google-imgres",
    ),
    (
        "https://www.google.com/amp/s/www.theguardian.com/world/2020/jan/01/story.amp?CMP=share_btn_tw",
        "https://www.theguardian.com/world/2020/jan/01/story.amp",
        "wrapper-google-amp",
    ),
    (
        "https://www.google.com/amp/www.example.com/news/story.amp.html",
        "http://www.example.com/news/story.amp.html",
        "wrapper-google-amp-http",
    ),
    (
        "https://www.googleadservices.com/pagead/aclk?sa=L&ai=DChcSEwi&ohost=www.google.com&cid=CAASJ&adurl=https%3A%2F%2Fshop.example.com%2Foffer%3Fgclid%3Dabc%26sku%3D9",
        "https://shop.example.com/offer?sku=9",
        "wrapper-google-ads",
    ),
    (
        "https://ad.doubleclick.net/ddm/clk/123456;789012;a?https://www.example.com/landing?gclid=abc&x=1",
        "https://www.example.com/landing?x=1",
        "wrapper-doubleclick",
    ),
    (
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/story.amp.html?usqp=mq331AQFKAGwASA%3D",
        "https://www.example.com/news/story.amp.html",
        "wrapper-amp-cache",
    ),
    (
        "https://www-example-com.cdn.ampproject.org/v/s/www.example.com/news/story.amp.html?amp_js_v=0.1",
        "https://www.example.com/news/story.amp.html",
        "wrapper-amp-cache-viewer",
    ),
    (
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2Fpost%3Ffbclid%3DIwAR123&h=AT0abc&__tn__=H-R",
        "https://www.example.com/post",
        "wrapper-facebook",
    ),
    (
        "https://lm.facebook.com/l.php?u=https%3A%2F%2Fnews.example.org%2Fstory%3Fid%3D5&h=AT1",
        "https://news.example.org/story?id=5",
        "wrapper-facebook",
    ),
    (
        "https://www.facebook.com/flx/warn/?u=https%3A%2F%2Fexample.net%2Fpage&h=AT2",
        "https://example.net/page",
        "wrapper-facebook",
    ),
    (
        "https://l.messenger.com/l.php?u=https%3A%2F%2Fwww.example.com%2Fdoc&h=AT3",
        "https://www.example.com/doc",
        "wrapper-messenger",
    ),
    (
        "https://l.instagram.com/?u=https%3A%2F%2Fwww.example.com%2Fshop%3Futm_source%3Dig%26utm_medium%3Dsocial&e=AT4",
        "https://www.example.com/shop",
        "wrapper-instagram",
    ),
    (
        "https://l.threads.net/?u=https%3A%2F%2Fwww.example.com%2Fpost&e=AT5",
        "https://www.example.com/post",
        "wrapper-threads",
    ),
    ("https://l.wl.co/l?u=https%3A%2F%2Fwww.example.com%2Fmenu", "https://www.example.com/menu", "wrapper-whatsapp"),
    (
        "https://out.reddit.com/t3_abc123?url=https%3A%2F%2Fwww.example.com%2Fstory%3Futm_source%3Dreddit&token=AQAA&app_name=web2x",
        "https://www.example.com/story",
        "wrapper-reddit",
    ),
    (
        "https://www.youtube.com/redirect?event=video_description&redir_token=QUFF&q=https%3A%2F%2Fexample.org%2Fpaper.pdf&v=dQw4w9WgXcQ",
        "https://example.org/paper.pdf",
        "wrapper-youtube-redirect",
    ),
    (
        "https://www.youtube.com/attribution_link?a=abcd&u=%2Fwatch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "wrapper-youtube-attribution",
    ),
    (
        "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.example.com%2Freport%3Fid%3D7%26utm_source%3Demail&data=05%7C01%7C&sdata=abc%3D&reserved=0",
        "https://www.example.com/report?id=7",
        "wrapper-outlook-safelinks",
    ),
    (
        "https://statics.teams.cdn.office.net/evergreen-assets/safelinks/1/atp-safelinks.html?url=https%3A%2F%2Fwww.example.com%2F&locale=en-us",
        "https://www.example.com/",
        "wrapper-teams-safelinks",
    ),
    (
        "https://urldefense.proofpoint.com/v1/url?u=https%3A%2F%2Fwww.example.com%2Fpage&k=abc&r=def&m=ghi&s=jkl",
        "https://www.example.com/page",
        "wrapper-proofpoint-v1",
    ),
    (
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__www.example.com_path_page-3Fa-3D1-26b-3D2&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e=",
        "https://www.example.com/path/page?a=1&b=2",
        "wrapper-proofpoint-v2",
    ),
    (
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__news.example.org_story-3Futm-5Fsource-3Dmail-26id-3D9&d=DwMF&c=x&e=",
        "https://news.example.org/story?id=9",
        "wrapper-proofpoint-v2",
    ),
    # v3: '*' stands for a character given base64url after '__;' -- 'Iw' is '#'.
    (
        "https://urldefense.com/v3/__https://example.com/page?x=1*section__;Iw!!ABCdef!GhIjKl$",
        "https://example.com/page?x=1#section",
        "wrapper-proofpoint-v3",
    ),
    # 'JQ' is '%', so '*20' reads back as '%20'.
    (
        "https://urldefense.com/v3/__https://www.example.com/a*20b.pdf__;JQ!!TOKEN!SIG$",
        "https://www.example.com/a%20b.pdf",
        "wrapper-proofpoint-v3",
    ),
    # '**A' stands for a run of two characters: 'JSU' is '%%'... here 'Pz8' is '??'.
    (
        "https://urldefense.com/v3/__https://www.example.com/what**A__;Pz8!!T!S$",
        "https://www.example.com/what??",
        "wrapper-proofpoint-v3",
    ),
    (
        "https://urldefense.com/v3/__https://www.example.com/story?utm_source=x&id=4__;!!Q!R$",
        "https://www.example.com/story?id=4",
        "wrapper-proofpoint-v3",
    ),
    (
        "https://protect2.fireeye.com/v1/url?k=31323334-abc&q=abc&e=def&u=https%3A%2F%2Fwww.example.com%2Fdoc",
        "https://www.example.com/doc",
        "wrapper-fireeye",
    ),
    (
        "https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fwww.example.com%2fpage%3fid%3d3&c=E,1,abc&typo=1",
        "https://www.example.com/page?id=3",
        "wrapper-barracuda",
    ),
    (
        "https://scanmail.trustwave.com/?c=8248&d=abc&u=https%3a%2f%2fwww%2eexample%2ecom%2fpage",
        "https://www.example.com/page",
        "wrapper-trustwave",
    ),
    (
        "https://clicktime.symantec.com/3AbCdEf?u=https%3A%2F%2Fwww.example.com%2Fnews",
        "https://www.example.com/news",
        "wrapper-symantec",
    ),
    (
        "https://eu-west-1.protection.sophos.com?d=jax.org&u=aHR0cDovL3d3dy5pbmZvcm1hdGljcy5qYXgub3Jn&i=NjA4&t=N25&h=0dfc",
        "http://www.informatics.jax.org/",
        "wrapper-sophos",
    ),
    (
        "https://imsva91-ctp.trendmicro.com/wis/clicktime/v1/query?url=https%3a%2f%2fwww.example.com%2fpage&umid=abc&auth=def",
        "https://www.example.com/page",
        "wrapper-trendmicro",
    ),
    ("https://vk.com/away.php?to=https%3A%2F%2Fwww.example.com%2F&cc_key=", "https://www.example.com/", "wrapper-vk"),
    (
        "https://ok.ru/dk?cmd=logExternal&st.cmd=outLinkWarning&st.link=https%3A%2F%2Fwww.example.com%2Fa",
        "https://www.example.com/a",
        "wrapper-ok",
    ),
    (
        "https://steamcommunity.com/linkfilter/?url=https://www.example.com/mod",
        "https://www.example.com/mod",
        "wrapper-steam",
    ),
    (
        "https://steamcommunity.com/linkfilter/?u=https%3A%2F%2Fwww.example.com%2Fguide",
        "https://www.example.com/guide",
        "wrapper-steam",
    ),
    (
        "https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Fwww.example.com%2Fblog&urlhash=AbCd&trk=public_post-text",
        "https://www.example.com/blog",
        "wrapper-linkedin",
    ),
    (
        "https://www.linkedin.com/safety/go?url=https%3A%2F%2Fwww.example.com%2Fpaper&trk=flagship-messaging-web&messageThreadUrn=x",
        "https://www.example.com/paper",
        "wrapper-linkedin",
    ),
    (
        "https://duckduckgo.com/l/?uddg=https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FURL%3Fwprov%3Dsfla1&rut=abc123",
        "https://en.wikipedia.org/wiki/URL",
        "wrapper-duckduckgo",
    ),
    (
        "https://r.search.yahoo.com/_ylt=AwrE;_ylu=Y29sbwM/RV=2/RE=1700000000/RO=10/RU=https%3a%2f%2fwww.example.com%2farticle%2f/RK=2/RS=abc-",
        "https://www.example.com/article/",
        "wrapper-yahoo",
    ),
    (
        "https://www.bing.com/ck/a?!&&p=abc123&ptn=3&ver=2&hsh=3&fclid=1a2b&u=a1aHR0cHM6Ly9lbi53aWtpcGVkaWEub3JnL3dpa2kvRXhhbXBsZQ&ntb=1",
        "https://en.wikipedia.org/wiki/Example",
        "wrapper-bing",
    ),
    (
        "https://t.umblr.com/redirect?z=https%3A%2F%2Fwww.example.com%2Fart&t=ZmY2&b=t%3A&p=https%3A%2F%2Fstaff.tumblr.com%2Fpost%2F1",
        "https://www.example.com/art",
        "wrapper-tumblr",
    ),
    (
        "https://medium.com/r/?url=https%3A%2F%2Fwww.example.com%2Fdocs%3Fsource%3Dpost_page",
        "https://www.example.com/docs?source=post_page",
        "wrapper-medium",
    ),
    (
        "https://slack-redir.net/link?url=https%3A%2F%2Fwww.example.com%2Fspec&v=3",
        "https://www.example.com/spec",
        "wrapper-slack",
    ),
    ("https://exit.sc/?url=https%3A%2F%2Fwww.example.com%2Ftour", "https://www.example.com/tour", "wrapper-exit-sc"),
    (
        "https://www.pinterest.com/offsite/?token=123-456&url=https%3A%2F%2Fwww.example.com%2Frecipe&pin=789",
        "https://www.example.com/recipe",
        "wrapper-pinterest",
    ),
    (
        "https://disq.us/url?url=https%3A%2F%2Fwww.example.com%2Farticle%3AbSUgt2YsdVqC9E7cPz3q&cuid=123456",
        "https://www.example.com/article",
        "wrapper-disqus",
    ),
    (
        "https://click.linksynergy.com/deeplink?id=AbC&mid=123&murl=https%3A%2F%2Fwww.example.com%2Fproduct%2F1",
        "https://www.example.com/product/1",
        "wrapper-linksynergy",
    ),
    (
        "https://www.awin1.com/cread.php?awinmid=1234&awinaffid=5678&ued=https%3A%2F%2Fwww.example.com%2Fshoes",
        "https://www.example.com/shoes",
        "wrapper-awin",
    ),
    (
        "https://go.redirectingat.com/?id=123X456&xcust=abc&url=https%3A%2F%2Fwww.example.com%2Fitem&sref=https%3A%2F%2Fblog.example.org",
        "https://www.example.com/item",
        "wrapper-skimlinks",
    ),
    (
        "https://redirect.viglink.com/?format=go&key=abc&u=https%3A%2F%2Fwww.example.com%2Fdeal",
        "https://www.example.com/deal",
        "wrapper-sovrn",
    ),
    (
        "https://www.anrdoezrs.net/click-1234567-12345678?url=https%3A%2F%2Fwww.example.com%2Fsale",
        "https://www.example.com/sale",
        "wrapper-cj",
    ),
    (
        "https://example.sjv.io/c/1234/567890/1234?u=https%3A%2F%2Fwww.example.com%2Fp%2F1&subId1=abc",
        "https://www.example.com/p/1",
        "wrapper-impact",
    ),
    (
        "https://prf.hn/click/camref:1100l3/pubref:abc/destination:https%3A%2F%2Fwww.example.com%2Fproduct%3Fx%3D1",
        "https://www.example.com/product?x=1",
        "wrapper-partnerize",
    ),
    (
        "https://clk.tradedoubler.com/click?p=123&a=456&g=789&url=https%3A%2F%2Fwww.example.com%2Foffer",
        "https://www.example.com/offer",
        "wrapper-tradedoubler",
    ),
    (
        "https://track.webgains.com/click.html?wgcampaignid=1&wgprogramid=2&wgtarget=https%3A%2F%2Fwww.example.com%2Fbag",
        "https://www.example.com/bag",
        "wrapper-webgains",
    ),
    (
        "https://ad.admitad.com/g/abc123/?ulp=https%3A%2F%2Fwww.example.com%2Fitem%2F5",
        "https://www.example.com/item/5",
        "wrapper-admitad",
    ),
    (
        "https://visit.digidip.net/visit?url=https%3A%2F%2Fwww.example.com%2Fshop&ppref=x",
        "https://www.example.com/shop",
        "wrapper-digidip",
    ),
    (
        "https://rover.ebay.com/rover/1/711-53200-19255-0/1?mpre=https%3A%2F%2Fwww.ebay.com%2Fitm%2F1234&campid=5338&toolid=10001",
        "https://www.ebay.com/itm/1234",
        "wrapper-ebay-rover",
    ),
    (
        "https://link.zhihu.com/?target=https%3A//github.com/owner/repo",
        "https://github.com/owner/repo",
        "wrapper-zhihu",
    ),
    (
        "https://link.juejin.cn/?target=https%3A%2F%2Fdeveloper.mozilla.org%2Fen-US%2F",
        "https://developer.mozilla.org/en-US/",
        "wrapper-juejin",
    ),
    ("https://gitee.com/link?target=https%3A%2F%2Fwww.example.com%2F", "https://www.example.com/", "wrapper-gitee"),
    (
        "https://link.csdn.net/?target=https%3A%2F%2Fdocs.python.org%2F3%2F",
        "https://docs.python.org/3/",
        "wrapper-csdn",
    ),
    (
        "https://www.jianshu.com/go-wild?ac=2&url=https%3A%2F%2Fwww.example.com%2Fpost",
        "https://www.example.com/post",
        "wrapper-jianshu",
    ),
    (
        "https://www.douban.com/link2/?url=https%3A%2F%2Fwww.example.com%2Fbook&query=x&cat_id=1001",
        "https://www.example.com/book",
        "wrapper-douban",
    ),
    (
        "https://weibo.cn/sinaurl?u=https%3A%2F%2Fwww.example.com%2Fnews",
        "https://www.example.com/news",
        "wrapper-weibo",
    ),
    (
        "https://c.pc.qq.com/middlem.html?pfurl=https%3A%2F%2Fwww.example.com%2F&pfuin=123",
        "https://www.example.com/",
        "wrapper-qq",
    ),
    ("https://href.li/?https://www.example.com/page?id=3", "https://www.example.com/page?id=3", "wrapper-dereferrer"),
    ("https://anonym.to/?https://www.example.com/", "https://www.example.com/", "wrapper-dereferrer"),
    (
        "https://sys.4chan.org/derefer?url=https%3A%2F%2Fwww.example.com%2Fthread",
        "https://www.example.com/thread",
        "wrapper-4chan",
    ),
    (
        "https://t.me/iv?url=https%3A%2F%2Fwww.example.com%2Farticle&rhash=abc123",
        "https://www.example.com/article",
        "wrapper-telegram-iv",
    ),
    (
        "https://getpocket.com/redirect?url=https%3A%2F%2Fwww.example.com%2Flongread%3Futm_source%3Dpocket",
        "https://www.example.com/longread",
        "wrapper-pocket",
    ),
    (
        "https://www.deviantart.com/users/outgoing?https://www.example.com/portfolio",
        "https://www.example.com/portfolio",
        "wrapper-deviantart",
    ),
    (
        "https://www.curseforge.com/linkout?remoteUrl=https%253a%252f%252fwww.example.com%252fwiki",
        "https://www.example.com/wiki",
        "wrapper-curseforge",
    ),
    (
        "https://xyz.r.us-east-1.awstrack.me/L0/https:%2F%2Fwww.example.com%2Fpage%3Fa=1%26utm_source=ses/1/0100018abc-def-000000/abc=123",
        "https://www.example.com/page?a=1",
        "wrapper-aws-ses",
    ),
    (
        "https://click.redditmail.com/CL0/https:%2F%2Fwww.reddit.com%2Fr%2Fpython%2Fcomments%2Fabc%2Ft%2F%3F%24deep_link=true%26correlation_id=x%26ref=email_digest/1/01000189/abc=",
        "https://www.reddit.com/r/python/comments/abc/t/",
        "wrapper-redditmail",
    ),
    # Wrappers inside wrappers: each layer is opened and reported, outermost first.
    (
        "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.google.com%2Furl%3Fq%3Dhttps%253A%252F%252Fwww.example.com%252Fa%253Ffbclid%253Dx%26sa%3DD&data=05",
        "https://www.example.com/a",
        "wrapper-outlook-safelinks",
    ),
]

# Wrapper hosts whose URL carries no usable target: left as they are (after ordinary cleaning).
NOT_UNWRAPPED: list[tuple[str, str]] = [
    ("https://www.google.com/url?sa=t&source=web", "https://www.google.com/url?sa=t&source=web"),
    ("https://l.facebook.com/l.php?h=AT0", "https://l.facebook.com/l.php?h=AT0"),
    (
        "https://www.facebook.com/l.php?u=javascript%3Aalert(1)",
        "https://www.facebook.com/l.php?u=javascript%3Aalert(1)",
    ),
    # An undecodable target: nothing is unwrapped (the empty pair in "!&&p" is dropped, as everywhere).
    (
        "https://www.bing.com/ck/a?!&&p=abc&u=a1not-base64!!&ntb=1",
        "https://www.bing.com/ck/a?!&p=abc&u=a1not-base64!!&ntb=1",
    ),
    ("https://www.youtube.com/redirect?event=x&q=notaurl", "https://www.youtube.com/redirect?event=x&q=notaurl"),
    ("https://duckduckgo.com/?q=test", "https://duckduckgo.com/?q=test"),
    ("https://www.linkedin.com/feed/?trk=nav", "https://www.linkedin.com/feed/"),
]

# --------------------------------------------------------------------------------------------
# Which rule removed what, as explain() reports it.
# --------------------------------------------------------------------------------------------

EXPLAINED: list[tuple[str, dict[str, str]]] = [
    (
        "https://example.com/a?utm_source=x&fbclid=y&gclid=z",
        {"utm_source": "utm", "fbclid": "facebook-click", "gclid": "google-ads"},
    ),
    (
        "https://example.com/a?msclkid=1&mc_eid=2&_hsenc=3",
        {"msclkid": "microsoft-ads", "mc_eid": "mailchimp", "_hsenc": "hubspot"},
    ),
    (
        "https://example.com/a?mkt_tok=1&yclid=2&igshid=3",
        {"mkt_tok": "marketo", "yclid": "yandex", "igshid": "instagram-share"},
    ),
    (
        "https://example.com/a?twclid=1&ttclid=2&epik=3",
        {"twclid": "twitter-ads", "ttclid": "tiktok-ads", "epik": "pinterest-ads"},
    ),
    (
        "https://example.com/a?mtm_campaign=1&pk_kwd=2&s_kwcid=3",
        {"mtm_campaign": "matomo", "pk_kwd": "matomo", "s_kwcid": "adobe-analytics"},
    ),
    (
        "https://example.com/a?WT.mc_id=1&irclickid=2&awc=3",
        {"WT.mc_id": "webtrends", "irclickid": "impact", "awc": "awin"},
    ),
    (
        "https://example.com/a?_bhlid=1&_kx=2&ck_subscriber_id=3",
        {"_bhlid": "beehiiv", "_kx": "klaviyo", "ck_subscriber_id": "convertkit"},
    ),
    (
        "https://example.com/a?mibextid=1&fb_action_ids=2",
        {"mibextid": "facebook-share", "fb_action_ids": "facebook-share"},
    ),
    ("https://example.com/a?xtor=RSS-1&__cf_chl_tk=x", {"xtor": "at-internet", "__cf_chl_tk": "cloudflare-challenge"}),
    ("https://www.example.com/a#Echobox=1", {"Echobox": "echobox"}),
    (
        "https://www.bbc.co.uk/news/1?at_link_type=web_link&ocid=x#xtor=RSS-1",
        {"at_link_type": "bbc", "ocid": "bbc", "xtor": "bbc"},
    ),
    ("https://www.youtube.com/watch?v=a&si=b&pp=c", {"si": "youtube", "pp": "youtube"}),
    ("https://youtu.be/abc?si=b&feature=shared", {"si": "youtube", "feature": "youtube"}),
    (
        "https://www.amazon.com/dp/B00X/ref=abc?tag=x-20&pd_rd_w=1",
        {"/ref=abc": "amazon", "tag": "amazon", "pd_rd_w": "amazon"},
    ),
    ("https://www.nytimes.com/2024/a.html?smid=tw&emc=rss", {"smid": "nytimes", "emc": "nytimes"}),
    ("https://www.theguardian.com/a?CMP=x", {"CMP": "guardian"}),
    ("https://x.com/a/status/1?s=20&t=x", {"s": "twitter", "t": "twitter"}),
    ("https://www.facebook.com/p/1?__tn__=R&ref=share", {"__tn__": "facebook", "ref": "facebook"}),
    ("https://www.linkedin.com/in/a?trk=x&lipi=y", {"trk": "linkedin", "lipi": "linkedin"}),
    ("https://www.reddit.com/r/a?share_id=1", {"share_id": "reddit"}),
    ("https://www.tiktok.com/@a/video/1?_r=1&_t=2", {"_r": "tiktok", "_t": "tiktok"}),
    ("https://www.google.com/search?q=a&oq=a&ved=b", {"oq": "google-search", "ved": "google"}),
    ("https://www.ebay.com/itm/1?_trksid=x&hash=y", {"_trksid": "ebay", "hash": "ebay"}),
    ("https://en.wikipedia.org/wiki/A?wprov=sfla1", {"wprov": "wikimedia"}),
    ("https://www.imdb.com/title/tt1/?ref_=x", {"ref_": "imdb"}),
    ("https://www.etsy.com/listing/1?click_key=x", {"click_key": "etsy"}),
    ("https://store.steampowered.com/app/1/?snr=1_4", {"snr": "steam"}),
    ("https://docs.google.com/document/d/1/edit?usp=sharing", {"usp": "google-docs"}),
]


# --------------------------------------------------------------------------------------------
# The tests.
# --------------------------------------------------------------------------------------------


def _builtin_json() -> dict[str, Any]:
    text = resources.files("citecheck").joinpath("data/rules.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _all_rules() -> list[dict[str, Any]]:
    data = _builtin_json()
    return [*data["remove"], *data["keep"], *data["unwrap"]]


ALL_CLEAN: list[tuple[str, str]] = GENERIC + FRAGMENTS + SITES + [(u, u) for u in KEPT_FRAGMENTS] + NOT_UNWRAPPED


@pytest.mark.parametrize(("url", "expected"), GENERIC)
def test_generic_trackers(url: str, expected: str) -> None:
    assert citecheck.clean_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), FRAGMENTS)
def test_fragment_trackers(url: str, expected: str) -> None:
    assert citecheck.clean_url(url) == expected


@pytest.mark.parametrize("url", KEPT_FRAGMENTS)
def test_meaningful_fragments_stay(url: str) -> None:
    assert citecheck.clean_url(url) == url


@pytest.mark.parametrize(("url", "expected"), SITES)
def test_site_rules(url: str, expected: str) -> None:
    assert citecheck.clean_url(url) == expected


@pytest.mark.parametrize("url", UNCHANGED)
def test_content_parameters_survive(url: str) -> None:
    result = citecheck.explain(url)
    assert result.cleaned == url, [(r.name, r.rule) for r in result.removed]
    assert not result.removed
    assert not result.wrappers


@pytest.mark.parametrize(("url", "expected", "rule_id"), WRAPPERS)
def test_wrappers_unwrap(url: str, expected: str, rule_id: str) -> None:
    result = citecheck.explain(url)
    assert result.cleaned == expected
    assert result.wrappers, "no wrapper was opened"
    assert result.wrappers[0].rule == rule_id
    assert result.unwrapped_from is not None


@pytest.mark.parametrize(("url", "expected"), NOT_UNWRAPPED)
def test_wrappers_without_target_stay(url: str, expected: str) -> None:
    result = citecheck.explain(url)
    assert result.cleaned == expected
    assert not result.wrappers


def test_nested_wrappers_are_all_reported() -> None:
    url = WRAPPERS[-1][0]
    result = citecheck.explain(url)
    assert [w.rule for w in result.wrappers] == ["wrapper-outlook-safelinks", "google-url"]
    assert [(r.name, r.rule) for r in result.removed] == [("fbclid", "facebook-click")]


@pytest.mark.parametrize(("url", "expected_rules"), EXPLAINED)
def test_explain_names_the_rule(url: str, expected_rules: dict[str, str]) -> None:
    result = citecheck.explain(url)
    assert {r.name: r.rule for r in result.removed} == expected_rules


def test_explain_reports_location() -> None:
    result = citecheck.explain("https://www.amazon.com/dp/B00X/ref=sr_1_1?tag=a-20#Echobox=1")
    assert [(r.name, r.location) for r in result.removed] == [
        ("/ref=sr_1_1", "path"),
        ("tag", "query"),
        ("Echobox", "fragment"),
    ]
    assert result.cleaned == "https://www.amazon.com/dp/B00X"


@pytest.mark.parametrize(("url", "expected"), ALL_CLEAN + [(w, e) for w, e, _ in WRAPPERS])
def test_cleaning_is_idempotent(url: str, expected: str) -> None:
    assert citecheck.clean_url(expected) == expected


# --------------------------------------------------------------------------------------------
# The data itself.
# --------------------------------------------------------------------------------------------


def test_builtin_rules_load() -> None:
    rules = RuleSet.builtin()
    assert len(rules.remove) >= 100
    assert len(rules.unwrap) >= 50
    assert rules.sources == ("builtin",)


def test_every_rule_has_a_note() -> None:
    missing = [rule["id"] for rule in _all_rules() if not str(rule.get("note", "")).strip()]
    assert missing == []


def test_rule_ids_are_unique() -> None:
    ids = [rule["id"] for rule in _all_rules()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_seed_ids_are_kept() -> None:
    ids = {rule["id"] for rule in _all_rules()}
    seed = {"utm", "facebook-click", "google-ads", "echobox", "at-internet", "bbc", "youtube", "amazon", "google-url"}
    assert seed <= ids


def test_every_wrapper_rule_is_tested() -> None:
    tested = {rule_id for _, _, rule_id in WRAPPERS}
    untested = sorted(rule["id"] for rule in _builtin_json()["unwrap"] if rule["id"] not in tested)
    assert untested == [], f"unwrap rules with no case in WRAPPERS: {untested}"


def test_tested_rule_ids_exist() -> None:
    ids = {rule["id"] for rule in _all_rules()}
    used = {rule_id for _, _, rule_id in WRAPPERS}
    for _, rules in EXPLAINED:
        used.update(rules.values())
    assert used <= ids, sorted(used - ids)


def test_no_parameter_is_both_removed_and_kept_on_the_same_sites() -> None:
    """A keep rule silently disables a remove rule; make sure that only happens on purpose.

    On purpose means: a site keep rule making an exception to a generic remove rule (univis), or
    a path-scoped keep rule (Amazon search pages). A global keep rule must clash with nothing, and
    a site keep rule must not clash with a remove rule for the same site.
    """
    data = _builtin_json()
    clashes = []
    for keep in data["keep"]:
        if keep.get("paths"):
            continue
        keep_sites = set(keep.get("sites", []))
        kept = {p.lower() for p in keep.get("params", [])}
        for remove in data["remove"]:
            remove_sites = set(remove.get("sites", []))
            if keep_sites and not remove_sites:
                continue  # a deliberate exception to a generic rule
            if keep_sites and not keep_sites & remove_sites:
                continue
            both = kept & {p.lower() for p in remove.get("params", [])}
            if both:
                clashes.append((keep["id"], remove["id"], sorted(both)))
    assert clashes == []


def test_generic_rules_avoid_ambiguous_names() -> None:
    """Short names that are content somewhere belong in site rules only."""
    ambiguous = {
        "ref",
        "source",
        "src",
        "s",
        "t",
        "cid",
        "id",
        "sr",
        "from",
        "share",
        "campaign",
        "p",
        "q",
        "page",
        "lang",
        "v",
    }
    for rule in _builtin_json()["remove"]:
        if rule.get("sites"):
            continue
        assert not ambiguous & {p.lower() for p in rule.get("params", [])}, rule["id"]

"""Hand-written customer-service turns with the polarity a person would give them.

``neg``: clearly negative (polarity must be < -0.3), ``pos``: clearly positive (> 0.3),
``neu``: neutral requests and answers (must stay between -0.6 and 0.6, i.e. never reported as
negative by the default rule ``below: -0.6``).
"""

from __future__ import annotations

ZH: dict[str, tuple[str, ...]] = {
    "neg": (
        "你们这是欺骗消费者，我要投诉",
        "我要投诉",
        "这个客服态度太差了",
        "快递三天了还没到，怎么回事",
        "质量太差了，我要退货",
        "太失望了，再也不买了",
        "我不满意你们的处理结果",
        "等了一个星期了还没有解决",
        "你们就是在敷衍我",
        "东西收到就坏了",
        "重复扣款了，赶紧给我退回来",
        "垃圾服务",
        "问了三遍了都没人回复",
        "你们太过分了",
        "我已经很生气了",
        "这什么破手机，用两天就坏了",
    ),
    "pos": (
        "谢谢你，帮了大忙",
        "服务很好，谢谢",
        "问题解决了，非常感谢",
        "好的，谢谢",
        "太好了，辛苦了",
        "很满意，给你们好评",
        "收到了，质量不错",
        "客服很耐心，点赞",
        "多谢，已经可以用了",
        "没问题，谢谢你",
    ),
    "neu": (
        "好的",
        "你好",
        "在吗",
        "请问什么时候发货",
        "我想查一下订单",
        "订单号是1234567",
        "请稍等，我帮您查询一下",
        "您好，请问有什么可以帮您？",
        "不是骗你，确实已经退款了",
        "亲，问题已经记录，会在3个工作日内处理",
        "我想改一下收货地址",
        "可以开发票吗",
        "退款什么时候到账",
        "嗯",
        "明白了",
        "我是在你们官网买的",
    ),
}

EN: dict[str, tuple[str, ...]] = {
    "neg": (
        "This is a scam, I want to file a complaint",
        "I am not happy with this",
        "My package arrived damaged",
        "Still waiting for my refund, this is ridiculous",
        "Worst customer service ever",
        "You charged me twice!",
    ),
    "pos": (
        "Thanks a lot, you really helped",
        "Great service, thank you!",
        "That fixed it, much appreciated",
        "Perfect, the issue is resolved",
    ),
    "neu": (
        "ok",
        "Where is my order?",
        "hello",
        "My order number is 12345",
        "Can I change the delivery address?",
        "I'm not angry, just asking when it ships",
    ),
}

from django.urls import reverse
from civicdesk.casework import services

def test_dump(web, alice, case, ward1):
    inquiry, update = services.ensure_standard_letters(ward1)
    letter = services.draft_letter(case, by=alice, template=update)
    c = web(alice)
    open("/tmp/letter_detail.html", "w").write(c.get(reverse("casework:case-letter-detail", args=[case.pk, letter.pk])).content.decode())
    open("/tmp/letter_print.html", "w").write(c.get(reverse("casework:case-letter-print", args=[case.pk, letter.pk])).content.decode())
    open("/tmp/case.html", "w").write(c.get(reverse("casework:case-detail", args=[case.pk])).content.decode())

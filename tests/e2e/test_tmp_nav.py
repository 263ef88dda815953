from conftest import login

def test_nav(new_context, adam):
    page = new_context(viewport={"width": 992, "height": 300}).new_page()
    login(page, adam)
    for w in (992, 1024, 1199, 1200, 1280, 1400):
        page.set_viewport_size({"width": w, "height": 300})
        page.screenshot(path=f"/tmp/nav-{w}.png")
        print(w, page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth, document.querySelector('nav').offsetHeight]"))

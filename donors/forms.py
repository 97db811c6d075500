from django import forms


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="The address you gave with your gifts. We email you a link that signs you in.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
